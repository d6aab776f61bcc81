/* The check-in scanner (activities/scan.html): the phone's camera reads the QR code at the door.
 *
 * The browser's own BarcodeDetector is used where it exists (Android Chrome); elsewhere the
 * vendored jsQR (vendor/jsqr, Apache-2.0) reads the frames drawn on a canvas. A code is followed
 * only when it is a check-in link of this very site (/activities/<id>/checkin/<token>/); anything
 * else is said so and ignored. Without a camera, or without JavaScript, the typed code below works.
 */
(function () {
  "use strict";

  var CHECKIN = /^\/activities\/\d+\/checkin\/[^/]+\/$/;

  function checkinPath(text) {
    try {
      var url = new URL(text, window.location.href);
      if (url.origin !== window.location.origin || !CHECKIN.test(url.pathname)) return null;
      return url.pathname;
    } catch (error) {
      return null;
    }
  }

  function show(id, visible) {
    var element = document.getElementById(id);
    if (element) element.hidden = !visible;
  }

  function start(section) {
    var video = document.getElementById("scanner-video");
    var status = document.getElementById("scanner-status");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show("scanner-unsupported", true);
      return;
    }
    var detector = null;
    if ("BarcodeDetector" in window) {
      try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (error) { detector = null; }
    }
    if (!detector && typeof window.jsQR !== "function") {
      show("scanner-unsupported", true);
      return;
    }
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var done = false;

    function follow(text) {
      var path = checkinPath(text);
      if (!path) {
        show("scanner-foreign", true);
        return false;
      }
      done = true;
      status.textContent = section.getAttribute("data-found") || "";
      var stream = video.srcObject;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      window.location.assign(path);
      return true;
    }

    function readWithJsQR() {
      var width = video.videoWidth, height = video.videoHeight;
      if (!width || !height) return null;
      canvas.width = width;
      canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      var found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, {
        inversionAttempts: "dontInvert",
      });
      return found ? found.data : null;
    }

    function tick() {
      if (done) return;
      if (detector) {
        detector.detect(video).then(function (codes) {
          if (codes.length && follow(codes[0].rawValue)) return;
          window.setTimeout(tick, 200);
        }, function () {
          detector = null;  // this browser has the API but cannot read video: fall back to jsQR
          window.setTimeout(tick, 200);
        });
        return;
      }
      var text = readWithJsQR();
      if (text && follow(text)) return;
      window.setTimeout(tick, 200);
    }

    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(
      function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        status.textContent = section.getAttribute("data-looking") || "";
        tick();
      },
      function () {
        show("scanner-unsupported", true);
      }
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#scanner-start");
    if (!button) return;
    var section = document.querySelector("[data-scanner]");
    if (!section) return;
    button.hidden = true;
    start(section);
  });
})();
