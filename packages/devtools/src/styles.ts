/**
 * The panel's own styles, inside its shadow root: nothing leaks in or out of the page. One rule a
 * line here, one string in the bundle.
 */
export const STYLES =
  ':host{all:initial;position:fixed;right:12px;bottom:12px;z-index:2147483000;font:12px/1.4 ui-monospace,monospace;color:#e6e6e6}' +
  ':host([hidden]),:host([collapsed]) .panel,:host(:not([collapsed])) .badge{display:none}' +
  '*{box-sizing:border-box}' +
  '.panel{width:min(640px,calc(100vw - 24px));max-height:min(70vh,560px);display:flex;flex-direction:column;background:#1b1d23;border:1px solid #4b5263;border-radius:8px;box-shadow:0 6px 24px #0006;overflow:hidden}' +
  'header,.filters{display:flex;flex-wrap:wrap;align-items:center;gap:4px 8px;padding:6px 8px;background:#262a33}' +
  'strong{flex:1}' +
  'button,[type=search]{font:inherit;color:inherit;background:#343a46;border:1px solid #4b5263;border-radius:4px;padding:2px 8px}' +
  'button:hover{background:#4b5263}' +
  ':focus-visible{outline:2px solid #8ab4f8;outline-offset:1px}' +
  '.badge{border-radius:999px;padding:4px 12px;background:#262a33}' +
  '.tag{color:#1b1d23;background:#c3a6ff;border-radius:3px;padding:0 4px}' +
  '.message{color:#ffb4a8;white-space:pre-wrap}' +
  '.message:not(:empty){padding:8px}' +
  'table{border-collapse:collapse;width:100%;flex:none}' +
  'th,td{text-align:left;padding:2px 8px;border-bottom:1px solid #343a46;white-space:nowrap}' +
  'th,time,.count{color:#9aa3b2;font-weight:400}' +
  '.count{margin-left:auto}' +
  'ol{list-style:none;margin:0;padding:0;overflow:auto;flex:1;min-height:80px}' +
  'li{display:flex;gap:8px;padding:1px 8px;border-bottom:1px solid #262a33}' +
  '.channel{color:#8ab4f8}' +
  '.type{min-width:5.5em;font-weight:700}' +
  '[data-type=fallback] .type,[data-type=gap] .type,.status-connecting,.status-reconnecting{color:#ffb86b}' +
  '[data-type=probe] .type{color:#c3a6ff}' +
  '[data-type=state] .type,.status-open{color:#7ee787}' +
  '.status-offline,.status-closed{color:#ff7b72}' +
  'textarea{width:100%;height:8em;font:inherit}'
