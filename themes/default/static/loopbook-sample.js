/* The live sample page's payload editor: parse the edited JSON and push it through the
   same queue the snippet uses, so the stub checks it as it checked the first call.
   Plain script, no libraries, no network. */
(function () {
  "use strict";

  var editor = document.getElementById("lb-payload-editor");
  var run = document.getElementById("lb-payload-run");
  var reset = document.getElementById("lb-payload-reset");
  var status = document.getElementById("lb-payload-status");
  var configElement = document.getElementById("lb-sample-config");
  if (!editor || !run || !configElement) return;
  var config = JSON.parse(configElement.textContent);

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("lb-payload-error", Boolean(isError));
    editor.setAttribute("aria-invalid", String(Boolean(isError)));
  }

  run.addEventListener("click", function () {
    var payload;
    try {
      payload = JSON.parse(editor.value);
    } catch (error) {
      say("Not valid JSON: " + error.message, true);
      return;
    }
    var queue = window[config.queue] = window[config.queue] || [];
    queue.push([config.call, payload]);
    var latest = window.loopbookStub && window.loopbookStub.calls[window.loopbookStub.calls.length - 1];
    if (!latest) {
      say("Queued; the stub has not loaded yet.", false);
    } else if (latest.problems) {
      say(latest.problems + " problem" + (latest.problems === 1 ? "" : "s") + ": see the marked fields.", true);
    } else {
      say("Received without problems.", false);
    }
  });

  if (reset) {
    reset.addEventListener("click", function () {
      editor.value = editor.defaultValue;
      say("", false);
    });
  }
})();
