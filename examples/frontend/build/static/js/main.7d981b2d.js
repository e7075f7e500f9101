// The example app: shows where its API lives and asks it for its health.
(function () {
  var backend = "http://localhost:8000";
  var root = document.getElementById("root");
  root.textContent = "IllustraDesign Studio — API at " + backend;
  fetch(backend + "/api/health").then(function (r) { root.dataset.api = r.status; }).catch(function () {});
})();
