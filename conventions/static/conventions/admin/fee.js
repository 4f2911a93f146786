// Keeps "4 écoles × 41,00 € = 164,00 €" up to date while schools are added or removed, and
// fills the académie from the chosen commune (its département determines it).
// The server computes both; this script only asks for them.
"use strict";
(function () {
  function countSchools() {
    let count = 0;
    document.querySelectorAll("#enrollments-group tr.form-row:not(.empty-form)").forEach(function (row) {
      const select = row.querySelector("select[name$='-school']");
      const remove = row.querySelector("input[name$='-DELETE']");
      if (select && select.value && !(remove && remove.checked)) count += 1;
    });
    return count;
  }
  // Answers may come back out of order (a school picked while the previous count is on its
  // way): only the last question's answer is shown.
  let latest = 0;
  function refresh() {
    const asked = ++latest;
    const target = document.getElementById("entconv-fee");
    const urlHolder = document.getElementById("entconv-fee-url");
    const year = document.getElementById("id_school_year");
    const academie = document.getElementById("id_academie");
    const commune = document.getElementById("id_commune");
    if (!target || !urlHolder || !year) return;
    const params = new URLSearchParams({
      count: countSchools(),
      school_year: year.value,
      academie: academie ? academie.value : "",
      commune: commune ? commune.value : "",
    });
    fetch(urlHolder.dataset.url + "?" + params, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (asked !== latest) return;
        target.textContent = data.text;
        // Only on an editable form: an issued convention shows its académie read-only.
        if (academie && data.academie && academie.value !== String(data.academie)) {
          academie.value = String(data.academie);
        }
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.addEventListener("change", refresh);
    document.addEventListener("formset:added", refresh);
    document.addEventListener("formset:removed", refresh);
    if (window.django && window.django.jQuery) {
      window.django.jQuery(document).on("select2:select select2:clear", refresh);
    }
  });
})();
