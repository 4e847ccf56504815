/**
 * The fleet view's web page: one self-contained document (no CDN, nothing fetched but its own event
 * stream), live over Server-Sent Events, with an hour of sessions and load per server drawn as
 * sparklines. Status is colour AND text (DOWN, SWAPPING, DRAINING), so it reads without colour.
 * Everything from the servers is inserted as text (textContent), never as HTML.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>ltsp-balance fleet</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1em;color:#111;background:#fff}
h1{font-size:1.2em;margin:0 0 .3em}
#meta{color:#444;margin-bottom:.6em}
table{border-collapse:collapse;width:100%}
th,td{padding:.25em .5em;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
th{background:#f3f3f3;position:sticky;top:0}
td.l,th.l{text-align:left}
.st{font-weight:bold;padding:.1em .4em;border-radius:3px}
.Idle{background:#d8f5d8;color:#0a4d0a}
.Busy,.Loaded{background:#fff0c2;color:#6b4d00}
.Swapped{background:#ffd3a8;color:#7a3200}
.Draining{background:#d9e6ff;color:#123f8c}
.Down{background:#ffd0d0;color:#8a0000}
tr.Down td{color:#8a0000}
svg{vertical-align:middle}
#conn.lost{color:#8a0000;font-weight:bold}
.why{color:#555;max-width:28em;overflow:hidden;text-overflow:ellipsis;text-align:left}
</style></head><body>
<h1>ltsp-balance fleet</h1>
<div id="meta"><span id="summary">waiting for the first survey…</span> · next login: <b id="next">-</b> · updated <span id="at">-</span> · <span id="conn">connecting</span></div>
<table><thead><tr><th class="l">server</th><th class="l">status</th><th>sessions</th><th>users</th><th>load/CPU</th><th>mem %</th><th>swap/s</th><th>logins/min</th><th>weight</th><th>daemon up</th><th>RTT ms</th><th title="winbind pool: busy/workers/max, queue">pool</th><th class="l">picked by</th><th class="l">sessions, 1 h</th><th class="l">load/CPU, 1 h</th><th class="l">why</th></tr></thead>
<tbody id="rows"></tbody></table>
<script>
"use strict";
const LABEL={Down:"DOWN",Swapped:"SWAPPING",Draining:"DRAINING"};
const history={};
const HOUR=3600e3;
function dash(v,d){return v===null||v===undefined?"-":(d===undefined?String(v):Number(v).toFixed(d));}
function age(s){if(s===null)return"-";if(s<120)return s+"s";if(s<7200)return Math.floor(s/60)+"m";if(s<172800)return Math.floor(s/3600)+"h";return Math.floor(s/86400)+"d";}
function spark(points,key){
  const ns="http://www.w3.org/2000/svg";const svg=document.createElementNS(ns,"svg");
  svg.setAttribute("width","120");svg.setAttribute("height","22");svg.setAttribute("role","img");
  const vals=points.filter(p=>p[key]!==null);
  svg.setAttribute("aria-label",key+": "+(vals.length?vals[vals.length-1][key]:"none"));
  if(vals.length<2)return svg;
  const t1=vals[vals.length-1].at,t0=Math.max(vals[0].at,t1-HOUR);
  let max=0;for(const p of vals)max=Math.max(max,p[key]);max=max||1;
  const pts=vals.filter(p=>p.at>=t0).map(p=>((p.at-t0)/Math.max(1,t1-t0)*118+1).toFixed(1)+","+(21-p[key]/max*20).toFixed(1)).join(" ");
  const line=document.createElementNS(ns,"polyline");line.setAttribute("points",pts);line.setAttribute("fill","none");line.setAttribute("stroke","#245");line.setAttribute("stroke-width","1.5");
  svg.appendChild(line);return svg;
}
function cell(tr,text,cls){const td=document.createElement("td");if(cls)td.className=cls;td.textContent=text;tr.appendChild(td);return td;}
function render(s){
  const counts={};
  const body=document.getElementById("rows");const frag=document.createDocumentFragment();
  for(const r of s.rows){
    const label=LABEL[r.status]||r.status;counts[label]=(counts[label]||0)+1;
    const tr=document.createElement("tr");tr.className=r.status;tr.dataset.server=r.server;
    cell(tr,r.server,"l");
    const st=cell(tr,"","l");const b=document.createElement("span");b.className="st "+r.status;b.textContent=label;st.appendChild(b);
    cell(tr,dash(r.sessions));cell(tr,dash(r.users));cell(tr,dash(r.loadPerCpu,2));cell(tr,dash(r.memUsedPct));
    cell(tr,dash(r.swapPagesPerSec));cell(tr,dash(r.logins60s));cell(tr,dash(r.weight));cell(tr,age(r.daemonUptimeSec));cell(tr,dash(r.rttMs,1));
    cell(tr,r.pool?r.pool.busy+"/"+r.pool.workers+"/"+r.pool.max+(r.pool.queue?" q"+r.pool.queue:""):"-");
    cell(tr,r.pickedBy.length?r.pickedBy.join(", "):"-","l");
    const h=history[r.server]||[];
    cell(tr,"","l").appendChild(spark(h,"sessions"));cell(tr,"","l").appendChild(spark(h,"loadPerCpu"));
    const why=cell(tr,r.userNames?r.detail+" · users: "+r.userNames.join(" "):r.detail,"why");why.title=why.textContent;
    frag.appendChild(tr);
  }
  body.replaceChildren(frag);
  document.getElementById("summary").textContent=s.rows.length+" servers: "+Object.entries(counts).map(e=>e[1]+" "+e[0]).join(", ");
  document.getElementById("next").textContent=(s.hosts[0]||"none usable")+" ("+s.algorithm+(s.fallback?", fallback: "+s.fallback:"")+")";
  document.getElementById("at").textContent=new Date(s.at).toLocaleTimeString();
}
function add(s){for(const r of s.rows){const h=history[r.server]||(history[r.server]=[]);h.push({at:s.at,sessions:r.sessions,loadPerCpu:r.loadPerCpu});while(h.length&&h[0].at<s.at-HOUR)h.shift();}}
const es=new EventSource("events");
const conn=document.getElementById("conn");
es.addEventListener("init",e=>{const d=JSON.parse(e.data);for(const k in d.history)history[k]=d.history[k];if(d.snapshot)render(d.snapshot);conn.textContent="live";conn.className="";});
es.addEventListener("snapshot",e=>{const s=JSON.parse(e.data);add(s);render(s);conn.textContent="live";conn.className="";});
es.onerror=()=>{conn.textContent="connection lost, retrying";conn.className="lost";};
</script></body></html>
`;
