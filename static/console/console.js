// Small enhancements on top of pages that work without JavaScript.
// No inline handlers and no eval: the CSP allows only this file and htmx.
(function () {
  "use strict";

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // --- dialogs -------------------------------------------------------------------------
  const modal = () => document.getElementById("modal");

  document.addEventListener("htmx:afterSwap", function (event) {
    const dialog = modal();
    if (dialog && event.detail.target === dialog && !dialog.open) dialog.showModal();
    if (event.detail.target && event.detail.target.id === "listing") updateSelection();
    if (event.detail.target && event.detail.target.id === "load-more") updateSelection();
  });
  document.addEventListener("click", function (event) {
    const closer = event.target.closest("[data-close]");
    if (closer && modal() && modal().open) {
      event.preventDefault();
      modal().close();
    }
  });
  document.body.addEventListener("closeModal", function () {
    if (modal() && modal().open) modal().close();
  });
  // data-confirm asks in the site's own dialog, like every other delete (never window.confirm,
  // which looks like a browser warning and cannot be styled or read as part of the page).
  function askInDialog(form) {
    const dialog = modal();
    const submit = form.querySelector("button:not([type=button]), input[type=submit]");
    const body = document.createElement("div");
    body.className = "dialog-body";
    const title = document.createElement("h2");
    title.id = "modal-title";
    title.textContent = form.dataset.confirm;  // textContent: names in it never become markup
    const actions = document.createElement("div");
    actions.className = "form-actions";
    const ok = document.createElement("button");
    ok.type = "button";
    ok.className = "btn danger";
    ok.textContent = (submit && (submit.textContent || submit.value).trim()) || "Confirm";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn";
    cancel.dataset.close = "";
    cancel.textContent = "Cancel";
    actions.append(ok, cancel);
    body.append(title, actions);
    dialog.replaceChildren(body);
    ok.addEventListener("click", function () {
      dialog.close();
      form.dataset.confirmed = "yes";
      form.requestSubmit(submit || undefined);
    });
    dialog.showModal();
    ok.focus();
  }
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.dataset.confirm || !modal()) return;
    if (form.dataset.confirmed === "yes") { delete form.dataset.confirmed; return; }
    // Capture phase: stop the submit before htmx or the browser act on it.
    event.preventDefault();
    event.stopPropagation();
    askInDialog(form);
  }, true);
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });

  // --- copy buttons ----------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent).then(function () {
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // --- selection and sorting in the object browser --------------------------------------
  function updateSelection() {
    const form = document.getElementById("selection");
    if (!form) return;
    const boxes = form.querySelectorAll("input[name=keys]");
    const checked = form.querySelectorAll("input[name=keys]:checked").length;
    const counter = document.getElementById("selected-count");
    if (counter) counter.textContent = checked + " selected";
    const button = document.getElementById("delete-selected");
    if (button) button.disabled = checked === 0;
    const all = document.getElementById("select-all");
    if (all) all.checked = boxes.length > 0 && checked === boxes.length;
  }
  document.addEventListener("change", function (event) {
    if (event.target.id === "select-all") {
      document.querySelectorAll("#selection input[name=keys]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.closest("#selection")) updateSelection();
  });
  document.addEventListener("click", function (event) {
    const header = event.target.closest("th[data-sort]");
    if (!header) return;
    const table = header.closest("table");
    const body = table.querySelector("tbody");
    const field = header.dataset.sort;
    const ascending = header.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[data-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const rows = Array.from(body.querySelectorAll("tr.folder, tr.object"));
    const more = body.querySelector("#load-more");
    rows.sort(function (a, b) {
      // Folders stay above objects, as in every file browser.
      const fa = a.classList.contains("folder"), fb = b.classList.contains("folder");
      if (fa !== fb) return fa ? -1 : 1;
      let x = a.dataset[field], y = b.dataset[field];
      if (field === "size") { x = Number(x); y = Number(y); }
      const order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    if (more) body.appendChild(more);
  });
  document.addEventListener("DOMContentLoaded", updateSelection);

  // --- the PDF preview -------------------------------------------------------------------
  // The details panel's PDF frame (buckets/pdfviewer/viewer.mjs) is sandboxed: an opaque origin
  // with no network. It asks this page for byte ranges of the object; this page reads them from
  // the preview URL (same origin, HTTP Range, so a large PDF is never read whole just to show
  // its first pages) and posts them in. Bounded: a frame is given at most its data-pdf-max bytes.
  const PDF_FIRST = 256 * 1024;
  const pdfFrames = new WeakMap();

  async function pdfRead(url, begin, end) {  // [begin, end], inclusive, as HTTP counts
    const response = await fetch(url, { credentials: "same-origin", headers: { "Range": "bytes=" + begin + "-" + end } });
    if (response.status !== 206 && response.status !== 200) throw new Error("the console answered " + response.status + ".");
    const total = /\/(\d+)$/.exec(response.headers.get("Content-Range") || "");
    const data = await response.arrayBuffer();
    return { data: data, length: response.status === 206 && total ? Number(total[1]) : data.byteLength, whole: response.status === 200 };
  }

  window.addEventListener("message", async function (event) {
    const frame = Array.from(document.querySelectorAll("iframe[data-pdf-source]"))
      .find(function (f) { return f.contentWindow === event.source; });
    if (!frame || !event.data || typeof event.data !== "object") return;
    const reply = function (message, transfer) { event.source.postMessage(message, "*", transfer || []); };
    const url = frame.dataset.pdfSource, max = Number(frame.dataset.pdfMax);
    const state = pdfFrames.get(frame) || { length: 0, read: 0 };
    pdfFrames.set(frame, state);
    try {
      if (event.data.type === "ready" && !state.length) {
        const first = await pdfRead(url, 0, PDF_FIRST - 1);
        if (first.whole && first.data.byteLength > max) throw new Error("it is larger than a preview reads.");
        state.length = first.length;
        state.read = first.data.byteLength;
        reply({ type: "open", length: first.length, data: first.data }, [first.data]);
      } else if (event.data.type === "range" && state.length) {
        const begin = event.data.begin, end = event.data.end;  // [begin, end)
        if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end <= begin || end > state.length) return;
        if (state.read + (end - begin) > max) {
          const limit = max >= 1048576 ? Math.round(max / 1048576) + " MiB" : Math.round(max / 1024) + " KiB";
          throw new Error("its first pages need more than " + limit + " of it, more than a preview reads.");
        }
        state.read += end - begin;
        const piece = await pdfRead(url, begin, end - 1);
        reply({ type: "data", begin: begin, data: piece.data }, [piece.data]);
      } else if (event.data.type === "shown" || event.data.type === "failed") {
        frame.dataset.pdfState = event.data.type;
        frame.dataset.pdfRead = String(state.read);
      }
    } catch (error) {
      reply({ type: "error", message: error.message });
    }
  });

  // Uploads live in uploads.js (loaded by the object browser page).
})();
