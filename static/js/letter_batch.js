// Progress of a letter batch: polls the batch's status (JSON) and updates the bar; once the
// batch is finished, reloads the page, which then shows the download link or the retry button.
// Without JavaScript the page offers a refresh link instead.
(function () {
  "use strict";
  var box = document.getElementById("letter-batch");
  if (!box || !box.dataset.statusUrl) {
    return;
  }
  var bar = box.querySelector("[data-batch-progress]");
  var status = box.querySelector("[data-batch-status]");
  var count = box.querySelector("[data-batch-count]");
  var refresh = box.querySelector("[data-batch-refresh]");
  if (refresh) {
    refresh.hidden = true;
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        bar.max = data.count || 1;
        bar.value = data.progress;
        bar.textContent = data.percent + " %";
        status.textContent = data.status_label;
        count.textContent = data.progress + " / " + data.count;
        if (data.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        if (refresh) {
          refresh.hidden = false;
        }
      });
  }

  window.setTimeout(poll, 500);
})();
