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
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
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

  // --- uploads ---------------------------------------------------------------------------
  function humanSize(bytes) {
    const units = ["bytes", "KB", "MB", "GB", "TB"];
    let value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return (unit ? value.toFixed(1) : value) + " " + units[unit];
  }

  function post(url, body, headers) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: Object.assign({ "X-CSRFToken": csrfToken(), "Accept": "application/json" }, headers || {}),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || (data.results && data.results[0] && data.results[0].message) || ("HTTP " + response.status));
        return data;
      });
    });
  }

  async function withRetry(work, attempts) {
    let last;
    for (let i = 0; i < attempts; i++) {
      try { return await work(); } catch (error) {
        last = error;
        await new Promise(function (r) { setTimeout(r, 500 * Math.pow(2, i)); });
      }
    }
    throw last;
  }

  function uploadRow(list, key, size) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.className = "name mono";
    name.textContent = key;  // textContent: a key never becomes markup
    const progress = document.createElement("progress");
    progress.max = 100; progress.value = 0;
    const status = document.createElement("span");
    status.className = "status muted";
    status.textContent = humanSize(size);
    item.append(name, progress, status);
    list.appendChild(item);
    return {
      set: function (pct, text, cls) {
        progress.value = pct;
        if (text) status.textContent = text;
        if (cls) status.className = "status " + cls;
      },
    };
  }

  // The encryption fields travel with every upload request, direct or chunked.
  function appendEncryption(data, form) {
    form.querySelectorAll("#upload-options [name^=sse]").forEach(function (field) {
      data.append(field.name, field.value);
    });
  }

  function showEncryptionFields() {
    const options = document.getElementById("upload-options");
    const select = document.querySelector("select[data-sse]");
    if (!options || !select) return;
    options.classList.toggle("show-sse-c", select.value === "SSE-C");
    options.classList.toggle("show-sse-kms", select.value === "SSE-KMS");
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-sse]")) showEncryptionFields();
  });
  document.addEventListener("DOMContentLoaded", showEncryptionFields);

  async function uploadOne(form, file, relative) {
    const list = document.getElementById("upload-list");
    const key = (form.dataset.prefix || "") + relative;
    const row = uploadRow(list, key, file.size);
    const directMax = Number(form.dataset.directMax);
    try {
      if (file.size <= directMax) {
        const data = new FormData();
        data.append("prefix", form.dataset.prefix || "");
        data.append("files", file, file.name);
        data.append("paths", relative);
        appendEncryption(data, form);
        await withRetry(function () { return post(form.action, data); }, 3);
        row.set(100, "Uploaded", "ok");
        return;
      }
      const start = new FormData();
      start.append("key", key);
      start.append("size", String(file.size));
      start.append("content_type", file.type || "");
      appendEncryption(start, form);
      const job = await post(form.dataset.startUrl, start);
      const base = form.dataset.startUrl.replace(/start\/$/, job.job + "/");
      const chunk = job.chunk || Number(form.dataset.chunk);
      for (let offset = 0; offset < file.size; offset += chunk) {
        const piece = file.slice(offset, Math.min(file.size, offset + chunk));
        await withRetry(function () {
          return post(base + "chunk/?offset=" + offset, piece, { "Content-Type": "application/octet-stream" });
        }, 5);
        row.set(Math.round(50 * (offset + piece.size) / file.size), "Sending " + humanSize(offset + piece.size));
      }
      const done = await post(base + "finish/", new FormData());
      row.set(50, "Queued as job #" + done.job);
      await followJob(done.progress_url, row);
    } catch (error) {
      row.set(0, "Failed: " + error.message, "fail");
      throw error;
    }
  }

  async function followJob(url, row) {
    for (;;) {
      await new Promise(function (r) { setTimeout(r, 1000); });
      const response = await fetch(url, { headers: { "Accept": "application/json", "X-Job-Status": "1" }, credentials: "same-origin" });
      const data = await response.json();
      row.set(50 + Math.round(data.percent / 2), data.state_label + " · " + data.message, data.state === "failed" ? "fail" : (data.state === "succeeded" ? "ok" : "muted"));
      if (data.finished) {
        if (data.state !== "succeeded") throw new Error(data.error || data.state_label);
        return;
      }
    }
  }

  async function uploadFiles(form, entries) {
    let failures = 0;
    for (const entry of entries) {
      try { await uploadOne(form, entry.file, entry.path); } catch (e) { failures++; }
    }
    const listing = document.getElementById("listing");
    if (listing && window.htmx) {
      window.htmx.ajax("GET", form.dataset.listingUrl, { target: "#listing", swap: "innerHTML", headers: { "HX-Target": "listing" } });
    }
    return failures;
  }

  function setUpUpload() {
    const form = document.getElementById("upload-form");
    if (!form) return;
    const input = document.getElementById("file-input");
    const zone = document.getElementById("dropzone");
    input.addEventListener("change", function () {
      const entries = Array.from(input.files).map(function (f) { return { file: f, path: f.webkitRelativePath || f.name }; });
      input.value = "";
      uploadFiles(form, entries);
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      const entries = Array.from(e.dataTransfer.files).map(function (f) { return { file: f, path: f.name }; });
      uploadFiles(form, entries);
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      const entries = Array.from(input.files).map(function (f) { return { file: f, path: f.name }; });
      uploadFiles(form, entries);
    });
  }
  document.addEventListener("DOMContentLoaded", setUpUpload);
})();
