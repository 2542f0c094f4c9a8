// The admin page: one static HTML document, no framework. Data arrives as JSON
// over server-sent events (api/events) and is written into the DOM with
// textContent only, so nothing a client sends is ever parsed as HTML.

const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #6e7781; --line: #d0d7de; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; }
header, main { padding: 0 1.25rem; }
header { display: flex; align-items: baseline; gap: 1.5rem; flex-wrap: wrap; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.25rem; margin: 0.75rem 0; }
#summary { margin: 0; color: var(--muted); }
form { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
label { display: flex; flex-direction: column; font-weight: 600; font-size: 0.85rem; gap: 0.2rem; }
input, select { font: inherit; padding: 0.25rem 0.4rem; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; color: var(--muted); padding-bottom: 0.4rem; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); padding: 0.4rem 0.5rem; }
td ul { list-style: none; margin: 0; padding: 0; }
td li { margin: 0.1rem 0; }
.type { font-weight: 600; }
.muted, .small { color: var(--muted); font-size: 0.85rem; }
.state { display: inline-block; border: 1px solid currentColor; border-radius: 0.6rem; padding: 0 0.45rem; font-size: 0.8rem; }
.state-acked { color: var(--ok); } .state-pending, .state-requested { color: var(--warn); } .state-nacked { color: var(--bad); font-weight: 700; }
.nack-message { color: var(--bad); white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.15rem 0 0.35rem; font-family: ui-monospace, monospace; font-size: 0.85rem; }
button.node { font: inherit; font-weight: 600; background: none; border: none; padding: 0; color: LinkText; text-decoration: underline; cursor: pointer; }
#detail { border-top: 2px solid var(--line); margin-top: 1.5rem; padding-top: 0.5rem; }
#detail pre { overflow: auto; max-height: 24rem; background: color-mix(in srgb, currentColor 6%, transparent); padding: 0.5rem; }
`;

const SCRIPT = `
"use strict";
const form = document.getElementById("filters");
const summary = document.getElementById("summary");
const rows = document.getElementById("rows");
const detail = document.getElementById("detail");
const detailTitle = document.getElementById("detail-title");
const detailBody = document.getElementById("detail-body");
const STATE_LABEL = { acked: "ACKed", nacked: "NACKed", pending: "pending", requested: "requested", "does-not-exist": "does not exist" };
let source;
let openStream;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === "className") node.className = value;
    else if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, String(value));
    else node[key] = value;
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}
const time = (ms) => new Date(ms).toLocaleTimeString();
const shortType = (url) => url.slice(url.lastIndexOf(".") + 1) || url;
const stateBadge = (state) => el("span", { className: "state state-" + state, "data-role": "state" }, STATE_LABEL[state] || state);

function typeItem(type) {
  const parts = [el("span", { className: "type", title: type.typeUrl }, shortType(type.typeUrl)), " ", stateBadge(type.state)];
  if (type.acked) parts.push(" ", el("span", { "data-role": "acked-version", title: "ACKed at " + time(type.acked.at) }, type.acked.version || "(empty)"));
  if (type.sent && type.state !== "acked") parts.push(" ", el("span", { className: "muted", title: "sent at " + time(type.sent.at) }, "sent " + (type.sent.version || "(empty)")));
  const scope = type.wildcard ? "all" : type.nameCount + " name" + (type.nameCount === 1 ? "" : "s");
  parts.push(" ", el("span", { className: "small" }, "(" + scope + ")"));
  const item = el("li", { "data-type": type.typeUrl, "data-state": type.state }, ...parts);
  if (type.nack && type.nack.current) {
    item.append(el("p", { className: "nack-message", "data-role": "nack-message" }, "rejected " + type.nack.version + " at " + time(type.nack.at) + ": " + type.nack.message));
  }
  return item;
}

function streamRow(stream) {
  const node = stream.node;
  const nodeCell = node
    ? el("td", {},
        el("button", { className: "node", type: "button", "data-role": "node", onclick: () => showDetail(stream.streamId) }, node.id || "(no id)"),
        el("div", { className: "small" }, [node.cluster && "cluster " + node.cluster, node.userAgent].filter(Boolean).join(" · ")))
    : el("td", { className: "muted" }, "(no request yet)");
  const service = stream.typeUrl === "" ? "ADS" : shortType(stream.typeUrl);
  return el("tr", { "data-stream-id": stream.streamId, "data-node-id": node ? node.id : "" },
    nodeCell,
    el("td", {}, (stream.protocol === "delta" ? "delta " : "SotW ") + service, el("div", { className: "small" }, "since " + time(stream.openedAt))),
    el("td", {}, stream.peer.address || "", el("div", { className: "small" }, stream.peer.identities.join(", "))),
    el("td", {}, stream.types.length ? el("ul", {}, ...stream.types.map(typeItem)) : el("span", { className: "muted" }, "no types yet"),
      stream.typeCount > stream.types.length ? el("div", { className: "small", "data-role": "more-types" }, "and " + (stream.typeCount - stream.types.length) + " more types, not listed") : undefined),
  );
}

function render(view) {
  rows.replaceChildren(...view.streams.map(streamRow));
  const more = view.matching > view.streams.length ? " (first " + view.streams.length + " shown)" : "";
  summary.textContent = view.nodes + " node" + (view.nodes === 1 ? "" : "s") + ", " + view.matching + " of " + view.total + " streams" + more +
    (view.nacked ? ", " + view.nacked + " NACKed" : "") + " · updated " + time(Date.now());
  if (openStream !== undefined) showDetail(openStream, true);
}

function connect() {
  if (source) source.close();
  const query = new URLSearchParams(new FormData(form));
  for (const [key, value] of [...query]) if (value === "") query.delete(key);
  history.replaceState(null, "", query.size ? "?" + query : location.pathname);
  source = new EventSource("api/events?" + query);
  source.addEventListener("status", (event) => render(JSON.parse(event.data)));
  source.onerror = () => { summary.textContent = "Connection lost; reconnecting…"; };
}

async function showDetail(id, refresh) {
  openStream = id;
  const answer = await fetch("api/streams/" + id);
  if (!answer.ok) { if (!refresh) { detailTitle.textContent = "Stream " + id + " is closed"; detailBody.replaceChildren(); detail.hidden = false; } return; }
  const stream = await answer.json();
  detailTitle.textContent = "Node " + (stream.node ? stream.node.id : "?") + " · stream " + stream.streamId;
  const open = new Set([...detailBody.querySelectorAll("details[open]")].map((d) => d.dataset.key));
  detailBody.replaceChildren(...stream.types.map((type) => el("section", { "data-type": type.typeUrl },
    el("h3", {}, shortType(type.typeUrl), " ", stateBadge(type.state)),
    type.resources.length === 0 ? el("p", { className: "muted" }, "no resources") : el("div", {}, ...type.resources.map((r) => {
      const key = type.typeUrl + " " + r.name;
      const body = r.held !== undefined ? r.held : r.sent;
      return el("details", { "data-key": key, open: open.has(key) },
        el("summary", {}, r.name + " ", stateBadge(r.state), " " + (r.version || "")),
        body === undefined ? el("p", { className: "muted" }, "not held by the server") : el("pre", {}, JSON.stringify(body, null, 2)),
        r.sent !== undefined && r.held !== undefined ? el("div", {}, el("p", { className: "small" }, "last sent, not accepted:"), el("pre", {}, JSON.stringify(r.sent, null, 2))) : undefined);
    }))),
  ));
  detail.hidden = false;
}

document.getElementById("close-detail").addEventListener("click", () => { detail.hidden = true; openStream = undefined; });
for (const [key, value] of new URLSearchParams(location.search)) if (form.elements[key]) form.elements[key].value = value;
let pending;
form.addEventListener("input", () => { clearTimeout(pending); pending = setTimeout(connect, 200); });
form.addEventListener("submit", (event) => { event.preventDefault(); connect(); });
connect();
`;

/** The page's HTML. */
export function adminPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>xDS clients</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>xDS clients</h1>
<p id="summary" role="status" aria-live="polite">Connecting…</p>
</header>
<main>
<form id="filters" role="search" aria-label="Filter streams">
<label for="f-node">Node id contains<input id="f-node" name="node" type="search" autocomplete="off"></label>
<label for="f-type">Type contains<input id="f-type" name="type" type="search" autocomplete="off" placeholder="Cluster"></label>
<label for="f-state">State<select id="f-state" name="state">
<option value="">any</option><option value="nacked">NACKed</option><option value="pending">pending</option><option value="acked">ACKed</option><option value="requested">requested</option>
</select></label>
</form>
<table>
<caption>Open xDS streams: per type, the state, the version the client ACKed, and Envoy's message for a rejected version. Choose a node for the resources it was sent.</caption>
<thead><tr><th scope="col">Node</th><th scope="col">Stream</th><th scope="col">Peer</th><th scope="col">Types</th></tr></thead>
<tbody id="rows"></tbody>
</table>
<section id="detail" hidden aria-labelledby="detail-title">
<h2 id="detail-title"></h2>
<button id="close-detail" type="button">Close</button>
<div id="detail-body"></div>
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
