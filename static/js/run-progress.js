// Live progress of a scoring run: polls the run's JSON in the API (/api/match-runs/<id>/)
// every second while it is queued or running, updates the bar and the status, and reloads the
// page once the run has finished.
// Without JavaScript the page refreshes itself (a <noscript> meta refresh) instead.
(function () {
  const block = document.querySelector("[data-run-progress]");
  if (!block) return;
  const url = block.dataset.runProgress;
  const bar = block.querySelector("progress");
  const percent = block.querySelector("[data-percent]");
  const status = document.querySelector("[data-run-status]");
  const live = ["queued", "running"];
  let failures = 0;

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const run = await response.json();
      failures = 0;
      bar.value = run.progress;
      bar.textContent = run.progress + "%";
      percent.textContent = run.progress + "%";
      if (status) status.textContent = run.status.charAt(0).toUpperCase() + run.status.slice(1);
      if (!live.includes(run.status)) {
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
