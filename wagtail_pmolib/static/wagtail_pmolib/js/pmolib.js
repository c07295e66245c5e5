/*
 * wagtail-pmolib — progressive enhancement. Everything works without it.
 * - click-to-load players: the provider's iframe is added only on request;
 * - chapter links seek the player instead of leaving the page;
 * - the table of contents highlights the section being read;
 * - the print button.
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

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", function () { initPrint(); initToc(); });
    } else {
        initPrint();
        initToc();
    }
})();
