// The mentions browser: mark a mention irrelevant, spam or relevant again, and correct its sentiment, through the
// JSON API (window.Vigie.api: session cookie and CSRF token); then the mention's card is fetched again, rendered
// and escaped by the server, and replaces the old one in place. Errors go to the card's role="alert" line.
"use strict";

(function () {
  var list = document.getElementById("mention-list");
  if (!list || !window.Vigie) return;
  var brand = list.getAttribute("data-brand");

  function showError(article, message) {
    var box = article.querySelector(".action-error");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  function controls(article, disabled) {
    Array.prototype.forEach.call(article.querySelectorAll(".mention-actions button, .mention-actions select"), function (c) {
      c.disabled = disabled;
    });
  }

  function reload(article) {
    var id = article.getAttribute("data-mention-id");
    return window.Vigie.fragment("/mentions/" + id + "/card").then(function (fresh) {
      if (!fresh) { article.remove(); return; }
      article.replaceWith(fresh);
      fresh.focus();  // keyboard users keep their place: focus the updated mention
    });
  }

  function act(article, method, path, body) {
    controls(article, true);
    return window.Vigie.api(method, path, body)
      .then(function () { return reload(article); })
      .catch(function (error) {
        controls(article, false);
        showError(article, error.message);
      });
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var action = button.getAttribute("data-action");
    if (action !== "irrelevant" && action !== "spam" && action !== "relevant") return;
    event.preventDefault();
    var article = button.closest("article.mention");
    var body = { mark: action };
    if (brand) body.brand = parseInt(brand, 10);
    act(article, "POST", "/api/v1/mentions/" + article.getAttribute("data-mention-id") + "/mark", body);
  });

  list.addEventListener("submit", function (event) {
    var form = event.target.closest('form[data-form="sentiment"]');
    if (!form) return;
    event.preventDefault();
    var article = form.closest("article.mention");
    var value = form.elements.sentiment.value;
    act(article, "PATCH", "/api/v1/mentions/" + article.getAttribute("data-mention-id"), { sentiment: value || null });
  });
})();
