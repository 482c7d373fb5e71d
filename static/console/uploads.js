// Uploads from the object browser. Small files: one form POST. Large files: an S3 multipart
// upload fed part by part, straight to the endpoint on presigned URLs where the bucket's
// CORS allows it ("direct"), else through the console, which forwards each part ("proxy").
// The protocol is described in buckets/jobs/upload.py; bench/upload_client.py speaks it too.
// No inline handlers, no eval, no style attributes: the CSP allows none of them.
(function () {
  "use strict";

  const STORE = "s3console.upload:";  // localStorage: fingerprint -> job id, for resume
  const MIN_FLIGHT = 2;

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function humanSize(bytes) {
    const units = ["bytes", "KB", "MB", "GB", "TB"];
    let value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return (unit ? value.toFixed(1) : value) + " " + units[unit];
  }

  const sleep = function (ms) { return new Promise(function (r) { setTimeout(r, ms); }); };

  // An answer that says what to do next: permanent (4xx: never retried), cancelled (409 with
  // "cancelled"), or passing (5xx, 408, 429, no network: retried with back-off).
  class UploadError extends Error {
    constructor(message, status, data) {
      super(message);
      this.status = status || 0;
      this.data = data || {};
      this.text = "";
      this.cancelled = Boolean(this.data.cancelled);
      this.permanent = this.cancelled || (status >= 400 && status < 500 && status !== 408 && status !== 429);
    }
  }

  async function send(url, options) {
    let response;
    try {
      response = await fetch(url, Object.assign({ credentials: "same-origin" }, options));
    } catch (error) {
      throw new UploadError("No connection (" + error.message + ")", 0);
    }
    if (options.console && (response.redirected || !(response.headers.get("Content-Type") || "").includes("json"))) {
      // A sign-in page after a redirect (the session ended): never mistake it for success.
      throw new UploadError("The console answered with a page, not the upload's answer: sign in again, then choose the file again to resume.", 401);
    }
    const text = await response.text().catch(function () { return ""; });
    let data = {};
    try { data = text ? JSON.parse(text) : {}; } catch (e) { data = {}; }
    if (!response.ok) {
      const message = data.error || (data.results && data.results[0] && data.results[0].message) || ("HTTP " + response.status);
      const error = new UploadError(message, response.status, data);
      error.text = text.slice(0, 2000);  // an endpoint's XML error, for its code
      throw error;
    }
    return { data: data, response: response };
  }

  function post(url, body, headers) {
    return send(url, {
      method: "POST", body: body, console: true,
      headers: Object.assign({ "X-CSRFToken": csrfToken(), "Accept": "application/json" }, headers || {}),
    }).then(function (r) { return r.data; });
  }

  // Resolves when the browser has a network again: on the "online" event, or when a look
  // every second finds it back (not every browser fires the event every time).
  function online() {
    if (navigator.onLine) return Promise.resolve();
    return new Promise(function (resolve) {
      const timer = setInterval(function () { if (navigator.onLine) done(); }, 1000);
      function done() { clearInterval(timer); window.removeEventListener("online", done); resolve(); }
      window.addEventListener("online", done);
    });
  }

  // Passing failures are retried with growing pauses; while the browser is offline it waits
  // for the network to come back instead of spending its tries.
  async function withRetry(work, tries, control) {
    for (let i = 0; ; i++) {
      if (control && control.stopped) throw control.stopped;
      try { return await work(); } catch (error) {
        if (error.permanent || (control && control.stopped) || i + 1 >= tries) throw error;
        if (!navigator.onLine) { await online(); i = Math.max(0, i - 1); continue; }
        await sleep(Math.min(15000, 400 * Math.pow(2, i)) * (0.75 + Math.random() / 2));
      }
    }
  }

  // A key as a reader should see it, like the server's |key filter (templatetags/keys.py):
  // controls, bidi and zero-width characters and unusual spaces as a visible mark, spaces at
  // either end as ␠, and the whole key isolated so it cannot reorder the text around it.
  const HIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu;
  function keyText(key) {
    const marked = key.replace(HIDDEN, function (ch) {
      return ch === "\t" ? "⟨TAB⟩" : "⟨U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0") + "⟩";
    });
    return marked.replace(/^ +| +$/g, function (spaces) { return "␠".repeat(spaces.length); });
  }

  // Rows join the list in batches of ROWS_PER_FRAME, one batch a frame: a thousand files cost
  // a few short layouts, not one each and not one long one.
  const pendingRows = [];
  const ROWS_PER_FRAME = 100;
  function flushRows() {
    const list = document.getElementById("upload-list");
    const batch = document.createDocumentFragment();
    pendingRows.splice(0, ROWS_PER_FRAME).forEach(function (item) { batch.appendChild(item); });
    list.appendChild(batch);
    if (pendingRows.length) requestAnimationFrame(flushRows);
  }

  function uploadRow(key, size) {
    const item = document.createElement("li");
    const name = document.createElement("bdi");
    name.className = "name mono key";
    name.dir = "ltr";
    name.title = keyText(key);
    name.textContent = keyText(key);  // textContent: a key never becomes markup
    const route = document.createElement("span");
    route.className = "route muted";
    const progress = document.createElement("progress");
    progress.max = 100; progress.value = 0;
    const status = document.createElement("span");
    status.className = "status muted";
    status.textContent = humanSize(size);
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn small danger-outline";
    cancel.textContent = "Cancel";
    cancel.hidden = true;
    item.append(name, route, progress, status, cancel);
    if (!pendingRows.length) requestAnimationFrame(flushRows);
    pendingRows.push(item);
    return {
      set: function (pct, text, cls) {
        progress.value = pct;
        if (text) status.textContent = text;
        if (cls) status.className = "status " + cls;
      },
      route: function (label) { route.textContent = label; },
      cancellable: function (onCancel) {
        cancel.hidden = !onCancel;
        cancel.onclick = onCancel || null;
      },
    };
  }

  // The encryption fields travel with every upload request.
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

  // How many parts are in flight: starts at 4 (or fewer) and climbs while each step up
  // still buys throughput, backs off when parts fail; at most what the console allows.
  function tuner(most) {
    const t = { limit: Math.max(1, Math.min(4, most)), most: Math.max(1, most), bytes: 0, since: performance.now(),
                count: 0, best: 0 };
    t.done = function (bytes) {
      t.bytes += bytes; t.count++;
      if (t.count < t.limit) return;
      const rate = t.bytes / Math.max(1, performance.now() - t.since);
      if (rate > t.best * 1.05 && t.limit < t.most) t.limit++;
      else if (rate < t.best * 0.7 && t.limit > MIN_FLIGHT) t.limit--;
      t.best = Math.max(t.best * 0.9, rate);
      t.bytes = 0; t.count = 0; t.since = performance.now();
    };
    t.failed = function () { t.limit = Math.max(1, Math.ceil(t.limit / 2)); };
    return t;
  }

  function partBlob(file, plan, n) {
    const start = (n - 1) * plan.part_size;
    return file.slice(start, Math.min(file.size, start + plan.part_size));
  }

  // A SHA-256 per part where the browser can compute one natively (crypto.subtle exists in
  // secure contexts only: https, or a console on localhost); the console then asks the
  // endpoint to check every part against it.
  const CAN_HASH = Boolean(window.isSecureContext && window.crypto && window.crypto.subtle);

  function base64(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text);
  }

  // The part's bytes read once: hashed, then sent as they were hashed.
  async function hashedPart(blob) {
    const bytes = await blob.arrayBuffer();
    return { body: bytes, sha256: base64(await window.crypto.subtle.digest("SHA-256", bytes)) };
  }

  // Presigned part URLs for the direct route, asked for in batches just before they are
  // used; each URL is used once, so a retry signs afresh (an expired URL heals itself).
  // A part with a checksum is signed alone, once it is hashed: its URL signs the value.
  function signer(plan, state) {
    const urls = new Map();
    return async function (n, sha256) {
      if (sha256) {
        const one = new FormData();
        one.append("n", String(n));
        one.append("sha256", sha256);
        one.append("received", String(state.progress.sent));
        return (await post(plan.sign_url, one)).urls[String(n)];
      }
      if (!urls.has(n)) {
        const data = new FormData();
        const ahead = (state.queue || []).filter(function (m) { return !urls.has(m) && m !== n; }).slice(0, 15);
        [n].concat(ahead).forEach(function (m) { data.append("n", String(m)); });
        data.append("received", String(state.progress.sent));
        const answer = await post(plan.sign_url, data);
        Object.keys(answer.urls).forEach(function (m) { urls.set(Number(m), answer.urls[m]); });
      }
      const url = urls.get(n);
      urls.delete(n);
      return url;
    };
  }

  async function sendPart(file, plan, n, state) {
    let body = partBlob(file, plan, n);
    let sha256 = "";
    if (plan.checksum === "SHA256") ({ body: body, sha256: sha256 } = await hashedPart(body));
    if (plan.route === "direct" && !state.directBroken) {
      const url = await state.sign(n, sha256);
      try {
        await send(url, { method: "PUT", body: body, credentials: "omit",
                          headers: sha256 ? { "x-amz-checksum-sha256": sha256 } : {} });
        return;
      } catch (error) {
        if (error.status === 0 && navigator.onLine && ++state.directFailures >= 2) {
          // The endpoint is out of this browser's reach (network, CORS) while the console
          // is not: the rest of this upload goes through the console.
          state.directBroken = true;
          state.row.route("→ through the console (the endpoint did not answer this browser)" +
                          (plan.checksum ? " · a SHA-256 with every part" : ""));
        }
        if (!state.directBroken) {
          // S3 answers XML, not JSON. A 403 is a signature the endpoint no longer takes: sign again.
          if (error.status === 403) throw new UploadError("The endpoint refused part " + n + "'s signature", 503);
          // BadDigest: the bytes changed on the way and no longer match their SHA-256: again.
          if (error.status === 400 && /BadDigest|InvalidDigest/.test(error.text)) {
            throw new UploadError("Part " + n + " arrived damaged at the endpoint; sending it again", 503);
          }
          if (error.status >= 400 && error.status < 500) {
            throw new UploadError("The endpoint refused part " + n + " (HTTP " + error.status + ")", error.status);
          }
          throw error;
        }
      }
    }
    await post(plan.part_url + "?n=" + n, body, Object.assign({ "Content-Type": "application/octet-stream" },
                                                             sha256 ? { "X-Checksum-SHA256": sha256 } : {}));
  }

  function sendParts(file, plan, numbers, state) {
    const queue = numbers.slice();
    state.queue = queue;
    return new Promise(function (resolve, reject) {
      let active = 0;
      function pump() {
        if (state.control.stopped) { if (active === 0) reject(state.control.stopped); return; }
        if (!queue.length && active === 0) { resolve(); return; }
        while (active < state.tuner.limit && queue.length) {
          const n = queue.shift();
          active++;
          withRetry(function () {
            return sendPart(file, plan, n, state).catch(function (error) {
              if (!error.permanent) state.tuner.failed();
              throw error;
            });
          }, 8, state.control).then(function () {
            active--;
            const size = partBlob(file, plan, n).size;
            state.progress.sent += size;
            state.tuner.done(size);
            state.onPart();
            pump();
          }, function (error) {
            active--;
            if (!state.control.stopped) state.control.stopped = error;
            reject(error);
          });
        }
      }
      pump();
    });
  }

  function fingerprint(form, file, key) {
    return [form.dataset.startUrl, key, file.size, file.name, file.lastModified].join("|");
  }

  async function uploadLarge(form, file, key, row) {
    const print = fingerprint(form, file, key);
    const start = new FormData();
    start.append("key", key);
    start.append("size", String(file.size));
    start.append("content_type", file.type || "");
    start.append("fingerprint", print);
    start.append("resume", localStorage.getItem(STORE + print) || "");
    if (CAN_HASH) start.append("checksum", "SHA256");
    appendEncryption(start, form);
    const plan = await withRetry(function () { return post(form.dataset.startUrl, start); }, 4);
    localStorage.setItem(STORE + print, String(plan.job));
    row.route((plan.route === "direct" ? "→ straight to the endpoint" : "→ through the console") +
              (plan.checksum ? " · a SHA-256 with every part" : ""));
    const control = { stopped: null };
    const stored = plan.parts || {};
    const progress = { sent: Object.keys(stored).reduce(function (sum, n) { return sum + stored[n]; }, 0) };
    const state = { control: control, progress: progress, row: row, directFailures: 0, directBroken: false,
                    tuner: tuner(plan.concurrency || 4) };
    state.sign = signer(plan, state);
    state.onPart = function () {
      row.set(Math.round(95 * progress.sent / file.size), "Sent " + humanSize(progress.sent) + " of " + humanSize(file.size));
    };
    row.cancellable(async function () {
      control.stopped = new UploadError("Cancelled", 409, { cancelled: true });
      row.cancellable(null);
      try { await post(plan.cancel_url, new FormData()); } catch (e) { /* the row says what happened below */ }
    });
    if (plan.resumed) row.set(Math.round(95 * progress.sent / file.size), "Resuming after " + humanSize(progress.sent));
    let todo = [];
    for (let n = 1; n <= plan.part_count; n++) if (!stored[String(n)]) todo.push(n);
    let done = null;
    for (let round = 0; round < 4; round++) {
      await sendParts(file, plan, todo, state);
      try {
        done = await withRetry(function () { return post(plan.finish_url, new FormData()); }, 5, control);
        break;
      } catch (error) {
        if (error.status === 409 && error.data.missing) {
          // The endpoint lacks these parts (lost on the way): send them again, then finish.
          todo = error.data.missing;
          progress.sent = Math.max(0, progress.sent - todo.length * plan.part_size);
          continue;
        }
        if (error.status === 503 && error.data.queued) {
          localStorage.removeItem(STORE + print);
          row.set(95, error.message, "warn");
          done = error.data;
          break;
        }
        throw error;
      }
    }
    if (!done) throw new UploadError("Parts kept going missing on the endpoint; upload the file again.", 400);
    localStorage.removeItem(STORE + print);
    row.cancellable(null);
    if (!done.queued) row.set(95, "Completing on the endpoint (job #" + done.job + ")");
    await followJob(done.progress_url, row);
  }

  async function followJob(url, row) {
    for (;;) {
      await sleep(700);
      let data;
      try {
        data = (await send(url, { console: true, headers: { "Accept": "application/json", "X-Job-Status": "1" } })).data;
      } catch (error) {
        if (error.permanent) throw error;
        await online();
        continue;
      }
      if (data.finished) {
        if (data.state === "succeeded") { row.set(100, "Uploaded", "ok"); return; }
        if (data.state === "cancelled") throw new UploadError("Cancelled", 409, { cancelled: true });
        throw new UploadError(data.error || data.state_label, 400);
      }
      row.set(95 + Math.round(data.percent / 25), data.state_label + " · " + data.message);
    }
  }

  async function uploadOne(form, file, relative, row) {
    const key = (form.dataset.prefix || "") + relative;
    try {
      if (file.size <= Number(form.dataset.directMax)) {
        const data = new FormData();
        data.append("prefix", form.dataset.prefix || "");
        // The key travels in "paths"; the part's own file name stays short, because Django
        // refuses a form part whose headers exceed 1 KiB with a bare 400 (a long file name
        // did, from about 900 bytes).
        data.append("files", file, "file");
        data.append("paths", relative);
        appendEncryption(data, form);
        await withRetry(function () { return post(form.action, data); }, 3);
        row.set(100, "Uploaded", "ok");
        return;
      }
      await uploadLarge(form, file, key, row);
    } catch (error) {
      row.cancellable(null);
      if (error.cancelled) {
        localStorage.removeItem(STORE + fingerprint(form, file, key));
        row.set(0, "Cancelled", "muted");
      } else {
        if (error.permanent) localStorage.removeItem(STORE + fingerprint(form, file, key));
        row.set(0, "Failed: " + error.message, "fail");
      }
      throw error;
    }
  }

  // The queue: every chosen or dropped file waits its turn, FILES_IN_FLIGHT at a time (a large
  // file's parts have their own limit). The summary shows the whole queue's progress and lists
  // the failures, which "Retry failed" puts back in the queue.
  const FILES_IN_FLIGHT = 4;

  function uploadQueue(form) {
    const q = { waiting: [], active: 0, files: 0, done: 0, bytes: 0, bytesDone: 0, failed: [], drawn: false };
    const box = document.getElementById("upload-queue");
    const overall = document.getElementById("upload-overall");
    const counts = document.getElementById("upload-counts");
    const retry = document.getElementById("retry-failed");
    const failures = document.getElementById("upload-failures");

    function draw() {
      q.drawn = false;
      box.hidden = false;
      overall.value = q.bytes ? Math.round(100 * q.bytesDone / q.bytes) : (q.files ? 100 * q.done / q.files : 0);
      counts.textContent = q.done + " of " + q.files + " uploaded" + (q.failed.length ? " · " + q.failed.length + " failed" : "") +
        (q.active || q.waiting.length ? " · " + (q.active + q.waiting.length) + " to go" : "");
      retry.hidden = !q.failed.length || Boolean(q.active || q.waiting.length);
    }
    function redraw() {  // once a frame at most, however many files finish in it
      if (!q.drawn) { q.drawn = true; requestAnimationFrame(draw); }
    }

    function failure(task, error) {
      const item = document.createElement("li");
      const name = document.createElement("bdi");
      name.className = "key mono";
      name.dir = "ltr";
      name.textContent = keyText(task.key);
      item.append(name, document.createTextNode(": " + error.message));
      failures.appendChild(item);
      task.failure = item;
      q.failed.push(task);
    }

    function refreshListing() {
      const listing = document.getElementById("listing");
      if (listing && window.htmx) {
        window.htmx.ajax("GET", form.dataset.listingUrl, { target: "#listing", swap: "innerHTML", headers: { "HX-Target": "listing" } });
      }
    }

    function pump() {
      while (q.active < FILES_IN_FLIGHT && q.waiting.length) {
        const task = q.waiting.shift();
        q.active++;
        uploadOne(form, task.file, task.path, task.row).then(function () {
          q.done++;
          q.bytesDone += task.file.size;
        }, function (error) {
          if (!error.cancelled) failure(task, error);
        }).then(function () {
          q.active--;
          redraw();
          if (!q.active && !q.waiting.length) refreshListing();
          pump();
        });
      }
      redraw();
    }

    q.add = function (entries) {
      entries.forEach(function (entry) {
        const key = (form.dataset.prefix || "") + entry.path;
        q.waiting.push({ file: entry.file, path: entry.path, key: key, row: uploadRow(key, entry.file.size) });
        q.files++;
        q.bytes += entry.file.size;
      });
      pump();
    };
    retry.addEventListener("click", function () {
      const again = q.failed.splice(0);
      again.forEach(function (task) {
        task.failure.remove();
        task.row.set(0, "Waiting to retry", "muted");
        q.waiting.push(task);
      });
      pump();
    });
    return q;
  }

  // A dropped folder arrives as a directory entry: walk it, keeping each file's path inside
  // the drop ("photos/2024/a.jpg"). readEntries answers in batches until it answers nothing.
  function readDirectory(reader) {
    return new Promise(function (resolve, reject) { reader.readEntries(resolve, reject); });
  }
  async function walk(entry, into) {
    if (entry.isFile) {
      const file = await new Promise(function (resolve, reject) { entry.file(resolve, reject); });
      into.push({ file: file, path: entry.fullPath.replace(/^\//, "") });  // the drop's root, not the user's slash
      return;
    }
    const reader = entry.createReader();
    for (;;) {
      const batch = await readDirectory(reader);
      if (!batch.length) return;
      for (const child of batch) await walk(child, into);
    }
  }
  async function droppedEntries(dataTransfer) {
    // Entries must be taken while the drop event runs; the files are read afterwards.
    const roots = Array.from(dataTransfer.items || []).map(function (item) {
      return item.kind === "file" && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    });
    if (!roots.length || roots.some(function (r) { return !r; })) {
      return Array.from(dataTransfer.files).map(function (f) { return { file: f, path: f.name }; });
    }
    const entries = [];
    for (const root of roots) await walk(root, entries);
    return entries;
  }

  function setUpUpload() {
    const form = document.getElementById("upload-form");
    if (!form) return;
    const input = document.getElementById("file-input");
    const folder = document.getElementById("folder-input");
    const zone = document.getElementById("dropzone");
    const queue = uploadQueue(form);
    [input, folder].forEach(function (picker) {
      if (!picker) return;
      picker.addEventListener("change", function () {
        // A folder's files carry their path inside it ("photos/2024/a.jpg"): kept as a prefix.
        const entries = Array.from(picker.files).map(function (f) { return { file: f, path: f.webkitRelativePath || f.name }; });
        picker.value = "";
        queue.add(entries);
      });
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      droppedEntries(e.dataTransfer).then(queue.add, function (error) {
        uploadRow("(dropped folder)", 0).set(0, "Failed: the folder could not be read (" + error.message + ")", "fail");
      });
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      queue.add(Array.from(input.files).map(function (f) { return { file: f, path: f.name }; }));
    });
  }
  document.addEventListener("DOMContentLoaded", setUpUpload);
})();
