/* The compact header on a phone: the menu, the language switch and signing out fold behind one
   button, so the page itself starts near the top of the screen. Without JavaScript the header
   stays unfolded (the button stays hidden), so nothing is ever out of reach. */
(function () {
  "use strict";
  function setUp() {
    var header = document.querySelector("header.topbar");
    var button = header && header.querySelector(".menu-toggle");
    if (!button) return;
    function setOpen(open) {
      header.classList.toggle("menu-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.hidden = false;
    header.classList.add("has-menu");
    button.addEventListener("click", function () {
      setOpen(!header.classList.contains("menu-open"));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        setOpen(false);
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
