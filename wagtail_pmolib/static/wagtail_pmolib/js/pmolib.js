/*
 * wagtail-pmolib — progressive enhancement. Everything works without it.
 * - click-to-load players: the provider's iframe is added only on request;
 * - chapter links seek the player instead of leaving the page;
 * - the table of contents highlights the section being read;
 * - the print button;
 * - feedback: the form posts in the background, the summary updates in place
 *   and the result is announced; the comment box appears when it is wanted;
 * - library search: suggestions (titles and speakers) as you type, in an ARIA
 *   combobox; the form itself is a plain GET form.
 */
(function () {
    "use strict";

    function withStart(src, seconds) {
        var url = new URL(src, window.location.href);
        if (/vimeo\.com$/.test(url.hostname)) {
            url.hash = "t=" + seconds + "s";
        } else {
            url.searchParams.set("start", String(seconds));
        }
        url.searchParams.set("autoplay", "1");
        return url.toString();
    }

    function loadPlayer(player, seconds) {
        var template = player.querySelector("template[data-pmolib-embed]");
        var iframe = player.querySelector("iframe");
        if (!iframe && template) {
            var fragment = template.content.cloneNode(true);
            iframe = fragment.querySelector("iframe");
            var facade = player.querySelector("[data-pmolib-facade]");
            if (facade) { facade.remove(); }
            player.appendChild(fragment);
        }
        if (iframe) {
            iframe.setAttribute("allow", (iframe.getAttribute("allow") || "") + "; autoplay");
            iframe.src = withStart(iframe.src, seconds || 0);
            iframe.focus();
        }
    }

    document.addEventListener("click", function (event) {
        var facade = event.target.closest("[data-pmolib-facade]");
        if (facade) {
            event.preventDefault();
            loadPlayer(facade.closest("[data-pmolib-player]"), 0);
            return;
        }
        var seek = event.target.closest("[data-pmolib-seek]");
        if (seek) {
            var recording = seek.closest("[data-pmolib-recording]");
            var seconds = parseInt(seek.getAttribute("data-pmolib-seek"), 10) || 0;
            var media = recording && recording.querySelector("[data-pmolib-media]");
            var player = recording && recording.querySelector("[data-pmolib-player]");
            if (media) {
                event.preventDefault();
                media.currentTime = seconds;
                media.play();
            } else if (player) {
                event.preventDefault();
                loadPlayer(player, seconds);
            }
        }
    });

    function initPrint() {
        document.querySelectorAll("[data-pmolib-print]").forEach(function (button) {
            button.hidden = false;
            button.addEventListener("click", function () { window.print(); });
        });
    }

    function initToc() {
        var toc = document.querySelector("[data-pmolib-toc]");
        if (!toc || !("IntersectionObserver" in window)) { return; }
        var links = {};
        toc.querySelectorAll("a[href^='#']").forEach(function (a) {
            links[decodeURIComponent(a.getAttribute("href").slice(1))] = a;
        });
        var headings = Object.keys(links).map(function (id) {
            return document.getElementById(id);
        }).filter(Boolean);
        var current = null;
        function setCurrent(id) {
            if (current === id) { return; }
            if (current && links[current]) { links[current].removeAttribute("aria-current"); }
            current = id;
            if (links[id]) { links[id].setAttribute("aria-current", "true"); }
        }
        var observer = new IntersectionObserver(function () {
            // The current section is the last heading above the top third of the screen.
            var line = window.innerHeight / 3;
            var active = headings[0];
            headings.forEach(function (h) {
                if (h.getBoundingClientRect().top <= line) { active = h; }
            });
            if (active) { setCurrent(active.id); }
        }, { rootMargin: "0px 0px -66% 0px", threshold: [0, 1] });
        headings.forEach(function (h) { observer.observe(h); });
    }

    function updateSummary(section, summary) {
        if (!summary) { return; }
        var headline = section.querySelector("[data-pmolib-headline]");
        var count = section.querySelector("[data-pmolib-count]");
        var stars = section.querySelector(".pmolib-feedback__stars");
        var table = section.querySelector("[data-pmolib-distribution]");
        if (headline) { headline.textContent = summary.headline; }
        if (count) { count.textContent = "(" + summary.count_display + ")"; }
        if (stars) { stars.style.setProperty("--pmolib-rating", String(summary.average || 0)); }
        if (table) {
            summary.distribution.forEach(function (row) {
                var tr = table.querySelector("tr[data-stars='" + row.stars + "']");
                if (!tr) { return; }
                tr.querySelector("[data-pmolib-percent]").textContent = row.percent + "%";
                tr.querySelector(".pmolib-feedback__bar span").style.width = row.percent + "%";
            });
            var minimum = parseInt(section.getAttribute("data-min-distribution"), 10) || 0;
            table.hidden = summary.count < minimum;
        }
    }

    function showErrors(form, errors) {
        form.querySelectorAll("[data-pmolib-js-error]").forEach(function (el) { el.remove(); });
        Object.keys(errors || {}).forEach(function (field) {
            var target = field === "comment" ? form.querySelector("textarea[name=comment]")
                : form.querySelector(".pmolib-rating") || form;
            var p = document.createElement("p");
            p.className = "pmolib-field-error";
            p.setAttribute("data-pmolib-js-error", "");
            p.id = "pmolib-feedback-" + field + "-js-error";
            p.textContent = errors[field];
            target.parentNode.insertBefore(p, target);
            if (target.setAttribute) {
                target.setAttribute("aria-invalid", "true");
                target.setAttribute("aria-describedby", p.id);
            }
        });
    }

    function revealComment(section, focus) {
        var box = section.querySelector("[data-pmolib-comment]");
        if (!box) { return; }
        box.hidden = false;
        if (focus) {
            var textarea = box.querySelector("textarea");
            if (textarea) { textarea.focus(); }
        }
    }

    function initFeedback() {
        document.querySelectorAll("[data-pmolib-feedback]").forEach(function (section) {
            var form = section.querySelector("[data-pmolib-feedback-form]");
            var status = section.querySelector("[data-pmolib-feedback-status]");
            if (!form || !window.fetch || !window.FormData) { return; }
            // The ratings whose choice shows the comment box (FeedbackSettings.comment_wanted).
            var commentRatings = (section.getAttribute("data-comment-ratings") || "").split(" ");
            var box = section.querySelector("[data-pmolib-comment]");
            var shownByServer = box && !box.hidden;
            form.addEventListener("change", function (event) {
                if (event.target.name !== "rating" || !box || shownByServer) { return; }
                var textarea = box.querySelector("textarea");
                if (commentRatings.indexOf(event.target.value) !== -1) {
                    revealComment(section, false);
                } else if (commentRatings[0] && !(textarea && textarea.value)) {
                    box.hidden = true;  // moved on from a low rating before writing anything
                }
            });
            function wake() {
                var button = form.querySelector("[type=submit]");
                if (button) { button.disabled = false; }
            }
            form.addEventListener("input", wake);
            form.addEventListener("change", wake);
            form.addEventListener("submit", function (event) {
                event.preventDefault();
                var button = form.querySelector("[type=submit]");
                if (button) { button.disabled = true; }
                function done() {
                    if (button) { button.disabled = false; }
                }
                function handle(result) {
                    var body = result.body || {};
                    if (body.ok) {
                        showErrors(form, {});
                        updateSummary(section, body.summary);
                        status.textContent = body.message || "";
                        var textarea = form.querySelector("textarea[name=comment]");
                        var sentComment = textarea && textarea.value.trim();
                        if (sentComment) {
                            // Stored: an empty box and a resting button say so; the
                            // next change (a new rating, more words) wakes the button.
                            textarea.value = "";
                            if (button) { button.disabled = true; }
                        } else if (body.show_comment) {
                            revealComment(section, true);
                        }
                    } else {
                        showErrors(form, body.errors);
                        status.textContent = body.errors
                            ? Object.keys(body.errors).map(function (k) { return body.errors[k]; }).join(" ")
                            : (body.error || "");
                    }
                }
                fetch(form.action, {
                    method: "POST",
                    body: new FormData(form),
                    headers: { "Accept": "application/json" },
                    credentials: "same-origin"
                }).then(function (response) {
                    return response.json().catch(function () { return {}; }).then(function (body) {
                        return { status: response.status, body: body };
                    });
                }).then(function (result) {
                    done();
                    handle(result);
                }, function () {
                    // The request itself failed (offline, blocked): post the form plainly.
                    done();
                    form.submit();
                });
            });
        });
    }

    function initSuggest() {
        var forms = document.querySelectorAll("form[data-pmolib-search][data-suggest-url]");
        Array.prototype.forEach.call(forms, function (form) {
            var input = form.querySelector("input[name=q]");
            if (!input || !window.fetch) { return; }
            var url = form.getAttribute("data-suggest-url");
            var list = document.createElement("ul");
            list.id = input.id + "-suggestions";
            list.className = "pmolib-suggest";
            list.setAttribute("role", "listbox");
            list.setAttribute("aria-label", form.getAttribute("data-label-suggestions") || "Suggestions");
            list.hidden = true;
            input.parentNode.appendChild(list);
            var status = document.createElement("p");
            status.className = "pmolib-visually-hidden";
            status.setAttribute("role", "status");
            form.appendChild(status);
            // A text input as the ARIA combobox pattern has it: a search input
            // may not take the role (the Nu HTML Checker), and Escape would
            // clear its text instead of closing the suggestions.
            input.type = "text";
            input.setAttribute("role", "combobox");
            input.setAttribute("aria-autocomplete", "list");
            input.setAttribute("aria-expanded", "false");
            input.setAttribute("aria-controls", list.id);

            var timer = null, controller = null, options = [], active = -1, lastQuery = null;

            function close() {
                list.hidden = true;
                input.setAttribute("aria-expanded", "false");
                input.removeAttribute("aria-activedescendant");
                active = -1;
            }

            function highlight(index) {
                options.forEach(function (option, i) {
                    option.setAttribute("aria-selected", i === index ? "true" : "false");
                });
                active = index;
                if (index >= 0) {
                    input.setAttribute("aria-activedescendant", options[index].id);
                    options[index].scrollIntoView({ block: "nearest" });
                } else {
                    input.removeAttribute("aria-activedescendant");
                }
            }

            function addGroup(label, items, describe) {
                if (!items.length) { return; }
                var heading = document.createElement("li");
                heading.className = "pmolib-suggest__group";
                heading.setAttribute("role", "presentation");
                heading.textContent = label;
                list.appendChild(heading);
                items.forEach(function (item) {
                    var option = document.createElement("li");
                    option.className = "pmolib-suggest__option";
                    option.id = list.id + "-" + options.length;
                    option.setAttribute("role", "option");
                    option.setAttribute("aria-selected", "false");
                    option.setAttribute("data-url", item.url);
                    option.textContent = item.title || item.name;
                    var detail = describe(item);
                    if (detail) {
                        var small = document.createElement("small");
                        small.textContent = detail;
                        option.appendChild(small);
                    }
                    list.appendChild(option);
                    options.push(option);
                });
            }

            function render(data) {
                list.textContent = "";
                options = [];
                active = -1;
                addGroup(form.getAttribute("data-label-sessions") || "Sessions", data.sessions || [],
                    function (item) { return item.conference; });
                addGroup(form.getAttribute("data-label-speakers") || "Speakers", data.speakers || [],
                    function (item) {
                        var template = form.getAttribute(item.sessions === 1 ? "data-label-one-session" : "data-label-sessions-count") || "%s";
                        return template.replace("%s", String(item.sessions));
                    });
                if (options.length) {
                    list.hidden = false;
                    input.setAttribute("aria-expanded", "true");
                } else {
                    close();
                }
                var template = form.getAttribute("data-label-count") || "%s suggestions";
                status.textContent = options.length ? template.replace("%s", String(options.length)) : "";
            }

            function lookUp() {
                var query = input.value.trim();
                if (query === lastQuery) { return; }
                lastQuery = query;
                if (query.length < 2) { render({}); return; }
                if (controller) { controller.abort(); }
                controller = window.AbortController ? new AbortController() : null;
                fetch(url + "?q=" + encodeURIComponent(query), {
                    headers: { Accept: "application/json" },
                    credentials: "same-origin",
                    signal: controller ? controller.signal : undefined
                }).then(function (response) {
                    return response.ok ? response.json() : {};
                }).then(render).catch(function () { /* aborted or offline: no suggestions */ });
            }

            function go(option) {
                window.location.href = option.getAttribute("data-url");
            }

            input.addEventListener("input", function () {
                window.clearTimeout(timer);
                timer = window.setTimeout(lookUp, 150);
            });
            input.addEventListener("keydown", function (event) {
                if (list.hidden || !options.length) { return; }
                if (event.key === "ArrowDown") {
                    event.preventDefault();
                    highlight((active + 1) % options.length);
                } else if (event.key === "ArrowUp") {
                    event.preventDefault();
                    highlight(active <= 0 ? options.length - 1 : active - 1);
                } else if (event.key === "Enter" && active >= 0) {
                    event.preventDefault();
                    go(options[active]);
                } else if (event.key === "Escape") {
                    event.preventDefault();
                    close();
                }
            });
            list.addEventListener("mousedown", function (event) {
                var option = event.target.closest("[role=option]");
                if (option) {
                    event.preventDefault();  // keep focus in the box until we leave
                    go(option);
                }
            });
            input.addEventListener("blur", function () { window.setTimeout(close, 100); });
        });
    }

    function init() {
        initPrint();
        initToc();
        initFeedback();
        initSuggest();
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
})();
