/* The registry's admin pages: lead the editor to the first error of a refused save, and mark the fieldsets and
   inline groups that hold errors. Loaded as a file (the Content-Security-Policy forbids inline scripts). */
"use strict";

(function () {
    function errorCount(container) {
        return container.querySelectorAll("ul.errorlist li").length;
    }

    function label(container) {
        const heading = container.querySelector("h2");
        if (!heading) {
            return "";
        }
        const copy = heading.cloneNode(true);
        copy.querySelectorAll(".error-count").forEach(function (badge) { badge.remove(); });
        return copy.textContent.replace(/\s+/g, " ").trim();
    }

    function markGroups() {
        const groups = document.querySelectorAll("#content-main fieldset.module, #content-main .inline-group");
        groups.forEach(function (group) {
            if (group.matches(".inline-group fieldset.module")) {
                return; // the inline group itself is marked
            }
            const count = errorCount(group);
            if (!count) {
                return;
            }
            group.classList.add("has-errors");
            const heading = group.querySelector("h2");
            if (heading && !heading.querySelector(".error-count")) {
                const badge = document.createElement("span");
                badge.className = "error-count";
                badge.textContent = count === 1 ? "1 error" : count + " errors";
                heading.appendChild(badge);
            }
        });
    }

    function leadToFirstError() {
        const note = document.querySelector("p.errornote");
        if (!note) {
            return;
        }
        const first = document.querySelector("#content-main form ul.errorlist");
        if (!first) {
            return;
        }
        const target = first.closest("tr, .form-row, fieldset, .inline-group") || first;
        if (!target.id) {
            target.id = "first-error";
        }
        const group = first.closest(".inline-group, fieldset.module");
        const link = document.createElement("a");
        link.href = "#" + target.id;
        link.className = "first-error-link";
        link.textContent = "Go to the first error" + (group && label(group) ? " (" + label(group) + ")" : "");
        note.appendChild(document.createTextNode(" "));
        note.appendChild(link);
        link.addEventListener("click", function (event) {
            event.preventDefault();
            show(target);
        });
        show(target);
    }

    function show(target) {
        target.scrollIntoView({block: "center"});
        target.classList.add("first-error");
        const field = target.querySelector("input:not([type=hidden]), select, textarea");
        if (field) {
            field.focus({preventScroll: true});
        }
    }

    document.addEventListener("DOMContentLoaded", function () {
        markGroups();
        leadToFirstError();
    });
})();
