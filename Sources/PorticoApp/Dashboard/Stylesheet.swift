/// The dashboard's one stylesheet, compiled in (served at
/// `/dashboard/assets/portico.css`; the CSP allows styles from here only).
/// Colours keep at least 4.5:1 contrast against their background; focus is
/// always visible for keyboard users.
enum Stylesheet {
    static let css = """
        :root { --ink: #1a1a2e; --muted: #4a4a5e; --line: #d0d0da; --accent: #1d4ed8; --bg: #ffffff; --soft: #f4f4f8;
                --danger: #b91c1c; --ok: #166534; --warn: #92400e; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus, .table-scroll:focus { outline: 3px solid #f59e0b; outline-offset: 2px; }
        .skip { position: absolute; left: -9999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        header.top { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--soft); }
        .brand { font-weight: 700; font-size: 18px; text-decoration: none; color: var(--ink); margin-right: auto; }
        .docs-search { display: flex; gap: 6px; margin: 0; } .docs-search input { width: 14em; }
        nav:has(> .inline-list) { display: flex; flex-wrap: wrap; gap: 0 12px; align-items: baseline; }
        ul.inline-list { display: flex; flex-wrap: wrap; gap: 0 16px; list-style: none; padding: 0; margin: 0; }
        .test-banner { background: #fef3c7; color: var(--warn); padding: 4px 20px; font-weight: 600; }
        .mode.live { color: var(--ok); font-weight: 600; } .mode.test { color: var(--warn); font-weight: 600; }
        .frame { display: flex; }
        .frame > nav { flex: none; min-width: 190px; padding: 16px; border-right: 1px solid var(--line); }
        nav ul { list-style: none; margin: 0; padding: 0; } nav li { margin: 4px 0; }
        nav a { text-decoration: none; } nav a[aria-current="page"] { font-weight: 700; color: var(--ink); }
        /* The dashboard and console menus are in the page twice (Layout.sideMenu): a list beside the content,
           and in a <details> that a phone folds behind "Menu" without script. One is displayed at a time. */
        .menu { display: none; } .menu > summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
        /* min-width: 0 lets main shrink below its widest table, which then scrolls in its own box. */
        main { padding: 16px 24px; flex: 1; min-width: 0; overflow-wrap: break-word; } main.narrow { max-width: 480px; margin: 40px auto; }
        form.inline { display: inline-flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 0; }
        label { display: block; font-weight: 600; margin-top: 6px; } form.inline label, .filters label, fieldset label { display: inline-block; font-weight: 500; margin-right: 8px; }
        input, select, textarea { font: inherit; padding: 5px 8px; border: 1px solid #8a8a9a; border-radius: 4px; max-width: 100%; }
        button { font: inherit; padding: 5px 12px; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
        button.danger { background: var(--danger); border-color: var(--danger); }
        fieldset { border: 1px solid var(--line); border-radius: 4px; margin: 10px 0; min-width: 0; }
        /* A label after its checkbox flows on from it when it wraps, rather than dropping below it. */
        fieldset input + label { display: inline; }
        table { border-collapse: collapse; width: 100%; margin: 12px 0; } caption { text-align: left; font-weight: 600; padding: 4px 0; }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        /* Lists (Layout.table) scroll sideways inside this box instead of widening the page; relative so
           the visually hidden labels in their rows are clipped with them rather than widening the page. */
        .table-scroll { position: relative; overflow-x: auto; margin: 12px 0; } .table-scroll > table { margin: 0; }
        /* Other tables (facts, docs, forms) have no such box: long ids and URLs in them wrap anywhere so they fit. */
        table.facts td, :not(.table-scroll) > table :is(td, code, a), main :is(h1, h2, h3) code { overflow-wrap: anywhere; }
        tr.status-4xx td:nth-child(4) { color: var(--warn); font-weight: 600; } tr.status-5xx td:nth-child(4) { color: var(--danger); font-weight: 600; }
        pre { background: var(--soft); padding: 10px; overflow: auto; white-space: pre-wrap; }
        code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 13px; }
        .notice { background: #dcfce7; color: var(--ok); padding: 8px 12px; border-radius: 4px; }
        .error { background: #fee2e2; color: var(--danger); padding: 8px 12px; border-radius: 4px; }
        .secret { border: 2px solid var(--ok); padding: 8px 16px; border-radius: 6px; margin: 12px 0; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(220px, 100%), 1fr)); gap: 12px; }
        .cards div { border: 1px solid var(--line); border-radius: 6px; padding: 12px; } .cards dt { color: var(--muted); } .cards dd { margin: 0; font-size: 20px; font-weight: 600; }
        .filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
        .empty { color: var(--muted); }
        .tabs { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0; } .tabs a[aria-current] { font-weight: 700; color: var(--ink); }
        svg.chart { display: block; width: 100%; max-width: 760px; height: auto; } svg.chart .bar { fill: var(--accent); } svg.chart .bar:hover { fill: #1e3a8a; }
        svg.chart .grid { stroke: var(--line); stroke-width: 1; } svg.chart .reference { stroke: var(--danger); stroke-width: 2; stroke-dasharray: 6 4; }
        svg.chart .axis { fill: var(--muted); font-size: 11px; }
        figure { margin: 12px 0; } figcaption { color: var(--muted); font-size: 13px; }
        figure.qr svg { display: block; max-width: 100%; height: auto; }
        /* Phones: the menu goes above the content, folded; forms take the full width. */
        @media (max-width: 720px) {
            header.top { gap: 8px 12px; padding: 8px 12px; }
            .docs-search { order: 3; width: 100%; } .docs-search input { flex: 1; width: auto; }
            .test-banner { padding: 4px 12px; }
            .frame { display: block; }
            .frame > nav { min-width: 0; padding: 8px 12px; border-right: 0; border-bottom: 1px solid var(--line); }
            .frame > nav > ul { display: flex; flex-wrap: wrap; gap: 0 16px; } /* the docs' menu: a few links */
            .frame > nav > .menu-wide { display: none; } .menu { display: block; }
            .menu li { margin: 0; } .menu li a { display: block; padding: 5px 0; }
            main { padding: 12px; } main.narrow { margin: 16px auto; }
            main form:not(.inline) :is(input:not([type=checkbox], [type=radio]), select, textarea) { width: 100%; }
            /* Filters: one row per field, its label beside it. */
            .filters { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 8px 12px; }
            .filters label { margin: 0; } .filters > p { grid-column: 1 / -1; margin: 0; }
            .filters > button { grid-column: 1 / -1; justify-self: start; }
            /* A caption stays in view while its table scrolls sideways; headings, times and row actions keep
               to one line, so rows stay short (the box scrolls further instead). */
            .table-scroll caption { position: sticky; left: 0; max-width: calc(100vw - 24px); }
            .table-scroll :is(th, time) { white-space: nowrap; } .table-scroll form.inline { flex-wrap: nowrap; }
            /* The chart shrinks to about half its drawn size here: keep its axis labels legible. */
            svg.chart .axis { font-size: 17px; }
        }
        """
}

/// The site icon: an SVG "P" on the accent colour. Linked from every page
/// and also served at `/favicon.ico`, which browsers fetch on their own when
/// someone opens an API URL or the docs; without it every such visit logs a
/// 404 in the console.
enum SiteIcon {
    static let path = "/dashboard/assets/icon.svg"
    static let svg = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1d4ed8"/>\
        <path d="M11 25V7h6.5a5.5 5.5 0 0 1 0 11H11" fill="none" stroke="#fff" stroke-width="3.2" stroke-linejoin="round"/></svg>
        """
}
