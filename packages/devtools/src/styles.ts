/** The panel's own styles, inside its shadow root: nothing leaks in or out of the page. */
export const STYLES = `
:host { all: initial; position: fixed; right: 12px; bottom: 12px; z-index: 2147483000;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: #e6e6e6; }
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.panel { width: min(640px, calc(100vw - 24px)); max-height: min(70vh, 560px); display: flex;
  flex-direction: column; background: #1b1d23; border: 1px solid #3a3f4b; border-radius: 8px;
  box-shadow: 0 6px 24px rgba(0, 0, 0, .35); overflow: hidden; }
:host([collapsed]) .panel { display: none; }
:host(:not([collapsed])) .badge { display: none; }
header { display: flex; align-items: center; gap: 8px; padding: 6px 8px; background: #262a33; }
header strong { flex: 1; }
button { font: inherit; color: inherit; background: #343a46; border: 1px solid #4b5263;
  border-radius: 4px; padding: 2px 8px; cursor: pointer; }
button:hover { background: #3f4656; }
.badge { border-radius: 999px; padding: 4px 12px; background: #262a33; }
.message { padding: 8px; color: #ffb4a8; white-space: pre-wrap; }
.message:empty { display: none; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid #2f343e; white-space: nowrap; }
th { color: #9aa3b2; font-weight: normal; }
.sources { overflow: auto; max-height: 30%; flex: none; }
.filters { display: flex; flex-wrap: wrap; gap: 4px 10px; padding: 6px 8px; background: #20232a; }
.filters label { display: inline-flex; gap: 3px; align-items: center; }
.filters input[type=search] { font: inherit; color: inherit; background: #111317;
  border: 1px solid #4b5263; border-radius: 4px; padding: 1px 6px; width: 12em; }
.count { color: #9aa3b2; margin-left: auto; }
ol { list-style: none; margin: 0; padding: 0; overflow: auto; flex: 1; min-height: 80px; }
li { display: flex; gap: 8px; padding: 1px 8px; border-bottom: 1px solid #262a33; }
li time { color: #7f8898; }
li .channel { color: #8ab4f8; }
li .type { min-width: 5.5em; font-weight: bold; }
li[data-type=fallback] .type, li[data-type=gap] .type { color: #ffb86b; }
li[data-type=probe] .type { color: #c3a6ff; }
li[data-type=state] .type { color: #7ee787; }
.status-open { color: #7ee787; }
.status-reconnecting, .status-connecting { color: #ffb86b; }
.status-offline, .status-closed { color: #ff7b72; }
textarea { width: 100%; height: 8em; font: inherit; }
`
