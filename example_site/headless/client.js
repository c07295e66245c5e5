// A headless front end for wagtail-pmolib's JSON API: plain JavaScript, no build step.
// It runs on an origin of its own; the site lists that origin in
// WAGTAIL_PMOLIB["API_CORS_ORIGINS"], or the browser refuses it the API's answers.
//
// What it does: search a library (words, facets), open a session (speakers,
// table of contents, handouts, notes), rate it; and, opened with
// ?content_type=…&token=… by an editor's "Headless front end" preview, show a draft.

const params = new URLSearchParams(window.location.search);
const API = new URL(
  params.get("api") || document.querySelector('meta[name="pmolib-api"]').content,
  window.location.href,
);
if (!API.pathname.endsWith("/")) API.pathname += "/";

const $ = (selector) => document.querySelector(selector);
const state = { library: null, filters: {}, q: "" };

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// One request to the API. Reads send no credentials: another origin's page may
// never read what a signed-in visitor sees.
async function api(path, { method = "GET", query = {}, body } = {}) {
  const url = new URL(path, API);
  for (const [name, values] of Object.entries(query)) {
    for (const value of [].concat(values)) {
      if (value !== "" && value != null) url.searchParams.append(name, value);
    }
  }
  const options = { method, headers: { Accept: "application/json" }, credentials: "omit" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    // A network error, or the browser refusing the answer (this origin is not allowed).
    throw new ApiError(`The library at ${API.origin} could not be reached from this page.`, 0);
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(data.detail || `The library answered ${response.status}.`, response.status);
  }
  return data;
}

function say(message) {
  $("#status").textContent = message;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

// Text with the matched words in <mark>, built from the plain text and the
// offsets (no HTML from the answer is parsed).
function highlighted({ text, matches }) {
  const fragment = document.createDocumentFragment();
  const characters = Array.from(text); // offsets count code points
  let at = 0;
  for (const { start, end } of matches) {
    fragment.append(characters.slice(at, start).join(""));
    fragment.append(element("mark", { text: characters.slice(start, end).join("") }));
    at = end;
  }
  fragment.append(characters.slice(at).join(""));
  return fragment;
}

// --- Search -----------------------------------------------------------------------

async function search() {
  say("");
  const results = await api(`libraries/${state.library.id}/search/`, {
    query: { q: state.q, ...state.filters },
  });
  $("#result-count").textContent =
    results.count === 1 ? "1 session" : `${results.count} sessions`;
  const list = $("#results");
  list.replaceChildren();
  for (const item of results.items) {
    const open = element("a", { href: `#session-${item.id}`, "data-session": item.id });
    open.append(highlighted(item.title_highlighted));
    open.addEventListener("click", (event) => {
      event.preventDefault();
      showSession(item.id).catch(failed);
    });
    const entry = element("li", { class: "result" }, open);
    const speakers = item.speakers.map((s) => s.name).join(", ");
    const conference = item.conference ? item.conference.title : "";
    entry.append(element("div", { class: "meta", text: [conference, speakers].filter(Boolean).join(" · ") }));
    if (item.excerpt) {
      entry.append(element("p", { class: "excerpt" }, highlighted(item.excerpt)));
    }
    list.append(entry);
  }
  for (const notice of results.notices) say(notice);
  showFacets(results.facets);
}

function showFacets(facets) {
  const container = $("#facets");
  container.replaceChildren();
  for (const facet of facets) {
    if (!facet.options.length) continue;
    const fieldset = element("fieldset", { "data-facet": facet.name });
    fieldset.append(element("legend", { text: facet.label }));
    for (const option of facet.options) {
      const box = element("input", { type: "checkbox", name: facet.name, value: String(option.value) });
      box.checked = option.selected;
      box.addEventListener("change", () => {
        const chosen = container.querySelectorAll(`input[name="${facet.name}"]:checked`);
        state.filters[facet.name] = Array.from(chosen, (input) => input.value);
        search().catch(failed);
      });
      fieldset.append(element("label", {}, box, ` ${option.label} (${option.count})`));
    }
    container.append(fieldset);
  }
}

// --- A session ------------------------------------------------------------------

function tocList(entries) {
  const list = element("ol");
  for (const entry of entries) {
    const item = element("li", {}, element("a", { href: `#${entry.id}`, text: entry.text }));
    if (entry.children.length) item.append(tocList(entry.children));
    list.append(item);
  }
  return list;
}

function handoutItem(handout) {
  const { document: file } = handout;
  const title = handout.title || file.title || "Handout";
  const link = element("a", { href: file.url, class: "download", text: title });
  const details = [file.file_type, file.file_size_display].filter(Boolean).join(", ");
  const item = element("li", { class: "handout" }, link, ` (${details})`);
  if (file.private) item.append(" — Restricted access");
  if (handout.description) item.append(element("p", { text: handout.description }));
  return item;
}

// Rich text from the site (its own HTML, as its pages show it).
function html(markup) {
  const container = element("div");
  container.innerHTML = markup;
  return container;
}

function bodyBlock(block) {
  const { type, value } = block;
  if (type === "heading") {
    return element(`h${Math.min(6, Number(value.level) + 1)}`, { id: value.anchor, text: value.text });
  }
  if (type === "paragraph") return html(value);
  if (type === "handout") return element("ul", { class: "handouts" }, handoutItem(value));
  if (type === "handouts") {
    const group = element("section", { class: "handout-group" });
    if (value.heading) group.append(element("h3", { id: value.anchor, text: value.heading }));
    if (value.description) group.append(element("p", { text: value.description }));
    group.append(element("ul", { class: "handouts" }, ...value.handouts.map(handoutItem)));
    return group;
  }
  if (type === "quote") {
    return element("blockquote", { text: value.quote });
  }
  if (type === "figure") {
    const [rendition] = Object.values(value.image.renditions);
    const figure = element("figure");
    if (rendition) figure.append(element("img", { src: rendition.url, alt: value.image.alt }));
    if (value.caption) figure.append(element("figcaption", { text: value.caption }));
    return figure;
  }
  return document.createTextNode("");
}

function showRating(session, rating) {
  $("#rating-summary").textContent = `${rating.headline} (${rating.count_display})`;
  const stars = $("#stars");
  stars.replaceChildren();
  if (!session.feedback.enabled || state.preview) return;
  for (let n = 1; n <= 5; n += 1) {
    const button = element("button", {
      type: "button",
      "aria-pressed": "false",
      text: n === 1 ? "1 star" : `${n} stars`,
    });
    button.addEventListener("click", () => rate(session, n, button).catch(failed));
    stars.append(button);
  }
}

async function rate(session, rating, button) {
  const answer = await api(`sessions/${session.id}/feedback/`, {
    method: "POST",
    body: { rating, comment: "" },
  });
  for (const other of $("#stars").children) other.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-pressed", "true");
  $("#rating-message").textContent = answer.message;
  showRating(session, answer.summary);
  $("#stars").children[rating - 1].setAttribute("aria-pressed", "true");
}

function render(session) {
  $("#search-section").hidden = true;
  $("#session").hidden = false;
  $("#preview-note").hidden = !state.preview;
  $("#session-title").textContent = session.full_title;
  const when = session.starts_at ? new Date(session.starts_at).toLocaleDateString("en-GB", { dateStyle: "long" }) : "";
  $("#session-meta").textContent = [session.conference?.title, when].filter(Boolean).join(" · ");
  $("#session-speakers").replaceChildren(
    ...session.speakers.map((s) => element("li", { text: [s.name, s.role_line].filter(Boolean).join(", ") })),
  );
  $("#toc-list").replaceChildren(...tocList(session.table_of_contents).children);
  $("#toc").hidden = !session.table_of_contents.length;
  $("#session-abstract").replaceChildren(html(session.abstract));
  const { recording } = session;
  $("#session-recording").hidden = !recording;
  if (recording) {
    $("#recording-notice").textContent = recording.notice;
    $("#recording-notice").hidden = !recording.notice;
    const address = recording.playable ? recording.url || recording.file_url : "";
    $("#recording-link").hidden = !address;
    if (address) $("#recording-link").href = address;
  }
  $("#session-body").replaceChildren(...session.body.map(bodyBlock));
  $("#notes-html").replaceChildren(html(session.notes));
  $("#session-notes").hidden = !session.notes;
  $("#rating-message").textContent = "";
  showRating(session, session.rating);
  $("#session-title").focus?.();
}

async function showSession(id) {
  say("");
  render(await api(`sessions/${id}/`));
}

function failed(error) {
  say(error.message);
}

async function start() {
  $("#back").addEventListener("click", () => {
    $("#session").hidden = true;
    $("#search-section").hidden = false;
  });
  const contentType = params.get("content_type");
  const token = params.get("token");
  if (contentType && token) {
    // An editor's headless preview (wagtail-headless-preview's flow).
    state.preview = true;
    render(await api("sessions/preview/", { query: { content_type: contentType, token } }));
    return;
  }
  const libraries = await api("libraries/");
  const wanted = params.get("library");
  state.library = libraries.items.find((l) => String(l.id) === wanted) || libraries.items[0];
  if (!state.library) {
    say("This site has no session library yet.");
    return;
  }
  $("#library-title").textContent = state.library.title;
  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.q = $("#q").value;
    state.filters = {};
    search().catch(failed);
  });
  await search();
  document.body.dataset.ready = "true";
}

start().catch(failed);
