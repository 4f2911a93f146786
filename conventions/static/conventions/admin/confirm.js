// A button or link with data-confirm="…" asks before it acts: status changes and sending a
// new link cannot be undone. Without JavaScript the action simply runs.
"use strict";
document.addEventListener("click", function (event) {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) event.preventDefault();
});
