// Keeps "n écoles × tarif = montant" up to date while the mairie ticks its schools. The
// server computes the amount (conventions/fees.py); this script only asks for it, and the
// page works without it (the amount is recomputed when the answer is saved).
"use strict";
(function () {
  const form = document.getElementById("confirmation-form");
  const target = document.getElementById("montant");
  if (!form || !target || !form.dataset.amountUrl) return;
  let latest = 0;
  function refresh() {
    const asked = ++latest;
    const params = new URLSearchParams();
    form.querySelectorAll("input[name='ecoles']:checked").forEach(function (box) {
      params.append("ecoles", box.value);
    });
    fetch(form.dataset.amountUrl + "?" + params, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // Answers may arrive out of order: only the last question's is shown.
        if (data && asked === latest && data.text) target.textContent = data.text;
      })
      .catch(function () {});
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "ecoles") refresh();
  });
})();
