// After a refused save, move the focus to the list of errors, so that keyboard and screen
// reader users learn at once what to correct (each error links to its field).
const errors = document.getElementById("form-errors");
if (errors) {
  errors.focus();
}
