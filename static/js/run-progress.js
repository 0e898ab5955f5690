// Live progress of a scoring run: while it is queued or running, fetches the run's own page
// every second and takes from it the bar, the status and the figures (cities scored, shards,
// start time, heartbeat), as the server renders them in the page's language; reloads the page
// once the run has ended. Without JavaScript the page refreshes itself (a <noscript> meta
// refresh) instead.
(function () {
  const block = document.querySelector("[data-run-progress]");
  if (!block) return;
  const url = block.dataset.runProgress;
  const bar = block.querySelector("progress");
  const percent = block.querySelector("[data-percent]");
  const status = document.querySelector("[data-run-status]");
  const figures = document.querySelector("[data-run-figures]");
  const parser = new DOMParser();
  let failures = 0;

  function take(fresh) {
    const freshBlock = fresh.querySelector("[data-run-progress]");
    if (!freshBlock) return false; // the run has ended: the page shows its result
    const freshBar = freshBlock.querySelector("progress");
    bar.value = freshBar.value;
    bar.textContent = freshBar.textContent;
    percent.textContent = freshBlock.querySelector("[data-percent]").textContent;
    const freshStatus = fresh.querySelector("[data-run-status]");
    if (status && freshStatus) {
      status.textContent = freshStatus.textContent;
      status.className = freshStatus.className;
    }
    const freshFigures = fresh.querySelector("[data-run-figures]");
    if (figures && freshFigures) figures.replaceChildren(...freshFigures.cloneNode(true).childNodes);
    return true;
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const fresh = parser.parseFromString(await response.text(), "text/html");
      failures = 0;
      if (!take(fresh)) {
        window.location.reload();
        return;
      }
    } catch (error) {
      failures += 1;
      if (failures > 10) return; // Stop quietly; the refresh link still works.
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
