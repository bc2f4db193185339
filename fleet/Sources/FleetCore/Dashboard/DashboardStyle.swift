/// The dashboard's one stylesheet (served at /ui/style.css so the CSP can forbid inline styles).
enum DashboardStyle {
    static let css = """
        :root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --ok: #16a34a; --warn: #d97706; --bad: #dc2626; --accent: #2563eb; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: #f9fafb; }
        header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #111827; color: #fff; flex-wrap: wrap; }
        header a { color: #d1d5db; text-decoration: none; margin-right: 14px; }
        header a.active, header a:hover { color: #fff; text-decoration: underline; }
        header .brand { color: #fff; font-weight: 700; }
        header .who { color: #9ca3af; margin: 0 10px; font-size: 12px; }
        nav { display: flex; align-items: center; flex-wrap: wrap; }
        form.inline { display: inline; }
        main { padding: 16px 24px 40px; max-width: 1400px; }
        h1 { font-size: 22px; margin: 8px 0 16px; } h2 { font-size: 16px; margin: 24px 0 8px; }
        table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #f3f4f6; font-weight: 600; font-size: 12px; text-transform: uppercase; color: var(--muted); }
        code { font-size: 12px; }
        .muted { color: var(--muted); }
        .error { color: var(--bad); }
        .cards { display: flex; gap: 16px; flex-wrap: wrap; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 18px; min-width: 160px; }
        .card.bad { border-color: var(--bad); }
        .card .big { font-size: 28px; font-weight: 700; }
        .two { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
        .badge { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 12px; background: #e5e7eb; }
        .badge.ok, .badge.gate-ok, .badge.state-completed, .badge.state-running { background: #dcfce7; color: #166534; }
        .badge.degraded, .badge.warning, .badge.gate-waiting, .badge.state-paused { background: #fef3c7; color: #92400e; }
        .badge.failing, .badge.critical, .badge.gate-breach, .badge.state-rolled_back, .badge.state-aborted { background: #fee2e2; color: #991b1b; }
        .label { background: #eef2ff; color: #3730a3; border-radius: 4px; padding: 0 5px; font-size: 12px; margin-right: 3px; }
        .running { background: #ecfeff; border-radius: 4px; padding: 0 5px; font-size: 12px; }
        td.silent { color: var(--warn); font-weight: 600; }
        ul.alerts { padding-left: 0; list-style: none; } ul.alerts li { margin: 4px 0; }
        dl.facts { display: grid; grid-template-columns: 140px 1fr; gap: 4px 12px; background: #fff; border: 1px solid var(--line); padding: 12px; }
        dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
        .tree ul { list-style: none; padding-left: 22px; border-left: 1px dashed #9ca3af; margin: 4px 0; }
        .tree > ul { border-left: none; padding-left: 0; }
        .tree .node { display: inline-block; background: #fff; border: 1px solid var(--accent); border-radius: 4px; padding: 1px 8px; margin: 2px 0; }
        svg text { font: 11px system-ui, sans-serif; fill: var(--fg); }
        svg .axis { stroke: #9ca3af; } svg .threshold { stroke: var(--bad); stroke-dasharray: 5 4; }
        svg .stage rect { fill: #e5e7eb; } svg .stage.done rect { fill: #86efac; } svg .stage.current rect { fill: #60a5fa; }
        svg .stage.paused rect { fill: #fcd34d; } svg .stage.rolled_back rect, svg .stage.aborted rect { fill: #fca5a5; }
        svg .bar { fill: #60a5fa; } svg .bar.ok { fill: #4ade80; } svg .bar.degraded { fill: #fbbf24; } svg .bar.failing { fill: #f87171; }
        svg .bar.unknown { fill: #d1d5db; } svg .bar.silent { fill: #fb923c; } svg .bar.observed { fill: #1d4ed8; } svg .bar.baseline { fill: #bfdbfe; }
        .chart, .histogram { background: #fff; border: 1px solid var(--line); }
        .hists { display: flex; gap: 12px; flex-wrap: wrap; } figure { margin: 8px 0; } figcaption { font-size: 12px; color: var(--muted); }
        form.login { display: flex; flex-direction: column; gap: 8px; max-width: 420px; background: #fff; padding: 16px; border: 1px solid var(--line); }
        form.login input { padding: 6px; font: inherit; }
        button { font: inherit; padding: 4px 12px; cursor: pointer; }
        footer { color: var(--muted); font-size: 12px; padding: 0 24px 24px; }
        """
}
