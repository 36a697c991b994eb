// Applies the chosen theme before the page paints (no flash of the light theme at night).
(function () {
  var theme = null;
  try { theme = localStorage.getItem("vigie-theme"); } catch (e) { /* storage disabled */ }
  if (theme === "light" || theme === "dark") document.documentElement.setAttribute("data-theme", theme);
})();
