// On a phone the filter panel would push the results below the fold: start it closed there.
// Without JavaScript it simply stays open, and every filter still works (a plain GET form).
if (window.matchMedia("(max-width: 40rem)").matches) {
  document.querySelectorAll("details[data-collapse-narrow]").forEach((panel) => {
    panel.open = false;
  });
}
