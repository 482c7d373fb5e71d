// The PDF preview, inside <iframe sandbox="allow-scripts"> (and the page's own CSP sandbox): an
// opaque origin that can reach neither the console's cookies, nor its pages, nor the network
// (connect-src 'none'). PDF.js renders the first pages to canvases; the bytes come from the
// embedding console page over postMessage, which reads them from the preview URL with HTTP
// range requests, so a large PDF shows its first pages without being downloaded whole.
//
// Protocol (the page's side is in static/console/console.js):
//   frame -> page  {type: "ready"}                 once loaded
//   page  -> frame {type: "open", length, data}    the object's length and its first bytes
//   frame -> page  {type: "range", begin, end}     PDF.js needs bytes [begin, end)
//   page  -> frame {type: "data", begin, data}     those bytes
//   page  -> frame {type: "error", message}        the page would not (or could not) read more
//   frame -> page  {type: "shown", pages, shown} / {type: "failed", message}
import * as pdfjs from "./pdf.min.mjs";

const MAX_PAGES = 20;  // a preview, not a reader: the rest is a download away
const status = document.getElementById("status");
const pages = document.getElementById("pages");
let transport = null;

function tell(message) {
  window.parent.postMessage(message, "*");  // the parent's origin is the console's; this frame's is opaque
}

function fail(message) {
  status.textContent = "This PDF cannot be shown here: " + message + " Download it instead.";
  status.className = "failed";
  tell({ type: "failed", message: String(message) });
}

async function open(length, first) {
  transport = new pdfjs.PDFDataRangeTransport(length, first);
  transport.requestDataRange = function (begin, end) { tell({ type: "range", begin: begin, end: end }); };
  const task = pdfjs.getDocument({
    range: transport, length: length,
    disableAutoFetch: true, disableStream: true, rangeChunkSize: 256 * 1024,
    isEvalSupported: false, enableXfa: false, useSystemFonts: true, stopAtErrors: false,
  });
  const doc = await task.promise;
  const shown = Math.min(doc.numPages, MAX_PAGES);
  status.textContent = doc.numPages === 1 ? "1 page" :
    doc.numPages + " pages" + (doc.numPages > shown ? "; the first " + shown + " are shown" : "");
  const width = Math.max(200, document.documentElement.clientWidth - 24);
  for (let n = 1; n <= shown; n++) {
    const page = await doc.getPage(n);
    const base = page.getViewport({ scale: 1 });
    const scale = Math.min(4, width / base.width);
    const ratio = window.devicePixelRatio || 1;
    const viewport = page.getViewport({ scale: scale * ratio });
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.style.width = Math.floor(viewport.width / ratio) + "px";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Page " + n);
    canvas.dataset.page = String(n);
    pages.appendChild(canvas);
    await page.render({ canvas: canvas, canvasContext: canvas.getContext("2d"), viewport: viewport }).promise;
    canvas.dataset.rendered = "1";
  }
  document.body.dataset.pages = String(doc.numPages);
  document.body.dataset.shown = String(shown);
  tell({ type: "shown", pages: doc.numPages, shown: shown });
}

window.addEventListener("message", function (event) {
  if (event.source !== window.parent || !event.data || typeof event.data !== "object") return;
  const message = event.data;
  if (message.type === "open" && !transport) {
    open(message.length, new Uint8Array(message.data)).catch(function (error) { fail(error.message || String(error)); });
  } else if (message.type === "data" && transport) {
    transport.onDataRange(message.begin, new Uint8Array(message.data));
  } else if (message.type === "error") {
    fail(message.message);
  }
});

tell({ type: "ready" });
