/* The phone desk's screen pop (templates/telephony/_desk.html), without inline script (CSP).
 *
 * The server pushes the panel of the call on the worker's lines as server-sent events
 * ("pop", its data the panel's HTML) on a short-lived stream that ends after some seconds;
 * EventSource reconnects by itself after the `retry` the server sent. When EventSource is
 * missing, or the stream fails (a proxy that buffers, a closed connection that does not come
 * back), the box polls the panel with htmx every two seconds instead.
 */
(function () {
  "use strict";

  var box = document.getElementById("screenpop");
  if (!box) return;

  function show(html) {
    if (box.innerHTML === html) return;
    box.innerHTML = html;
    if (window.htmx) window.htmx.process(box);
  }

  function poll() {
    if (box.dataset.mode === "poll") return;
    box.dataset.mode = "poll";
    box.setAttribute("hx-get", box.dataset.poll);
    box.setAttribute("hx-trigger", "every 2s");
    box.setAttribute("hx-swap", "innerHTML");
    if (window.htmx) window.htmx.process(box);
  }

  function start() {
    if (!window.EventSource) { poll(); return; }
    var failures = 0;
    var source = new window.EventSource(box.dataset.stream);
    source.addEventListener("open", function () { failures = 0; box.dataset.mode = "stream"; });
    source.addEventListener("pop", function (event) { failures = 0; show(event.data); });
    source.addEventListener("error", function () {
      failures += 1;
      // A stream that ended on time reconnects (CONNECTING); one refused for good is CLOSED.
      if (source.readyState === window.EventSource.CLOSED || failures >= 3) {
        source.close();
        poll();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
