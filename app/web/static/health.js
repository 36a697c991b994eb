// The health page: "Send again" puts a failed delivery back in the outbox (POST /api/v1/deliveries/{id}/redeliver,
// admin keys only, through window.Vigie.api); the row then says it is queued, or shows the API's refusal.
"use strict";

(function () {
  var table = document.getElementById("deliveries");
  if (!table || !window.Vigie) return;

  table.addEventListener("click", function (event) {
    var button = event.target.closest('button[data-action="redeliver"]');
    if (!button) return;
    event.preventDefault();
    var row = button.closest("tr[data-delivery-id]");
    var error = row.querySelector(".action-error");
    button.disabled = true;
    window.Vigie.api("POST", "/api/v1/deliveries/" + row.getAttribute("data-delivery-id") + "/redeliver")
      .then(function (delivery) {
        row.setAttribute("data-status", delivery && delivery.status ? delivery.status : "pending");
        var done = document.createElement("span");
        done.className = "ok-note";
        done.setAttribute("role", "status");
        done.textContent = button.getAttribute("data-queued");
        done.tabIndex = -1;
        button.replaceWith(done);
        done.focus();  // keyboard users keep their place
        if (error) error.hidden = true;
      })
      .catch(function (failure) {
        button.disabled = false;
        if (!error) return;
        error.textContent = failure.message;
        error.hidden = false;
      });
  });
})();
