/* The pages' own behaviour, loaded by base.html on every page.
 *
 * The Content-Security-Policy allows scripts from this site only: no inline <script>, no
 * onclick="..." and no htmx hx-on attributes (they are evaluated code). A template marks an
 * element with a data- attribute or a class and the listeners below, delegated from the
 * document, act on it, so content htmx swaps in later works too.
 */
(function () {
  "use strict";

  /* <select data-autosubmit>: choosing an option submits its form (the care register's grid filter). */
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest("select[data-autosubmit]");
    if (!select || !select.form) return;
    if (select.form.requestSubmit) { select.form.requestSubmit(); } else { select.form.submit(); }
  });

  /* <form data-no-submit>: Enter in its field never leaves the page (the intake's caller lookup,
     which htmx answers as one types). */
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[data-no-submit]")) event.preventDefault();
  });

  /* data-clear-after="#id": once htmx has answered the element's request, empty the element named
     (the lookup results, once the caller is chosen). */
  document.addEventListener("htmx:afterRequest", function (event) {
    var element = event.detail && event.detail.elt;
    var selector = element && element.getAttribute && element.getAttribute("data-clear-after");
    if (!selector || !event.detail.successful) return;
    var target = document.querySelector(selector);
    if (target) target.replaceChildren();
  });

  /* A category question's answer marked data-urgent ("no drinking water", "someone hurt"):
     ticking it proposes the urgent time limits; the coordinator can still choose otherwise. */
  document.addEventListener("change", function (event) {
    var answer = event.target;
    if (!answer.matches || !answer.matches("input[data-urgent]") || !answer.checked || !answer.form) return;
    var urgent = answer.form.querySelector("input[name=urgency][value=urgent]");
    if (urgent && !urgent.checked) {
      urgent.checked = true;
      urgent.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  /* Dispatch: the best suggestion comes ticked as the lead (data-preselected). Choosing another
     lead unticks it, unless the coordinator ticked it themselves, so it does not ride along as
     a supporter nobody asked for. */
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches) return;
    if (input.matches("input[data-preselected]")) {
      input.removeAttribute("data-preselected");  // touched: the coordinator's own choice now
      return;
    }
    if (!input.matches("input[type=radio][name=lead]") || !input.checked || !input.form) return;
    var preselected = input.form.querySelector("input[data-preselected]");
    if (!preselected || preselected.value === input.value) return;
    preselected.checked = false;
    preselected.removeAttribute("data-preselected");
  });

  /* Intake: a lookup result can fill the form with a new caller's number. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-new-caller]");
    if (!button) return;
    var form = document.getElementById("intake-form");
    if (!form) return;
    var other = form.querySelector("input[name=reporter_kind][value=other]");
    if (other) { other.checked = true; }
    form.elements.reporter_person.value = "";
    form.elements.reporter_phone.value = button.dataset.newCaller;
    form.elements.reporter_name.focus();
  });

  /* The building nearest to a tap on a site plan (a thumb rarely lands inside a small box). */
  function nearestBuilding(svg, p) {
    var best = null, bestDistance = Infinity;
    svg.querySelectorAll("[data-building]").forEach(function (g) {
      var dx = g.dataset.x - p.x, dy = g.dataset.y - p.y, distance = dx * dx + dy * dy;
      if (distance < bestDistance) { bestDistance = distance; best = g; }
    });
    return best;
  }

  /* The site plan: a tap sets the point and picks the nearest building (which loads its households). */
  document.addEventListener("click", function (event) {
    var svg = event.target.closest && event.target.closest("svg.site-plan");
    if (!svg) return;
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var p = point.matrixTransform(svg.getScreenCTM().inverse());
    if (svg.classList.contains("community-plan")) {
      /* The community plan: the nearest building's page (the table beside lists them all as links). */
      var building = nearestBuilding(svg, p);
      if (building && building.dataset.href) window.location.assign(building.dataset.href);
      return;
    }
    var form = svg.closest("form");
    if (!form || !form.elements.plan_x) return;
    form.elements.plan_x.value = p.x.toFixed(2);
    form.elements.plan_y.value = p.y.toFixed(2);
    var marker = svg.querySelector(".marker");
    marker.setAttribute("cx", p.x);
    marker.setAttribute("cy", p.y);
    marker.classList.add("shown");
    var best = nearestBuilding(svg, p);
    svg.querySelectorAll("[data-building]").forEach(function (g) { g.classList.remove("chosen"); });
    if (!best) return;
    best.classList.add("chosen");
    var select = form.elements.building;
    if (select && select.value !== best.dataset.building) {
      select.value = best.dataset.building;
      select.dispatchEvent(new Event("change", {bubbles: true}));
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.name !== "building") return;
    document.querySelectorAll("svg.site-plan [data-building]").forEach(function (g) {
      g.classList.toggle("chosen", g.dataset.building === event.target.value);
    });
  });
  /* table.list.stack: on a phone its rows become cards and its heading row is hidden (app.css), so
     each cell is given its column's heading as data-label, which app.css shows before the value. */
  function labelStackedCells(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("table.list.stack").forEach(function (table) {
      var headings = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, index) {
          if (headings[index] && !cell.hasAttribute("data-label") && !cell.hasAttribute("colspan")) {
            cell.setAttribute("data-label", headings[index]);
          }
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { labelStackedCells(document); });
  document.addEventListener("htmx:afterSwap", function (event) { labelStackedCells(event.target); });
})();
