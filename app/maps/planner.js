// The /map page's behaviour; app/maps/planner.py inlines it after a `var ZONING = {...}` config.
(function () {
  var map = window[ZONING.map];
  window.zoningMap = map;
  ZONING.hidden.forEach(function (n) { map.removeLayer(window[n]); });
  var asOfQuery = ZONING.asOf ? '&as_of=' + encodeURIComponent(ZONING.asOf) : '';
  // Signed in (reads private): the session cookie rides on every same-origin fetch by itself; a POST
  // also carries the double-submit token from the readable zoning_csrf cookie (app/sessions.py).
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)zoning_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : '';
  }
  function postHeaders(extra) {
    var h = {Accept: 'application/json'}, t = csrfToken();
    if (t) h['X-CSRF-Token'] = t;
    Object.keys(extra || {}).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]; }); }

  // --- detail on zoom: replace the overview geometry by per-zoom geometry of the view ---------
  var detailLayers = ['units', 'water_zones', 'redlines', 'reserve_zones', 'divisions'];
  var overview = {}, detailShown = false, detailSeq = 0;
  detailLayers.forEach(function (k) { overview[k] = window[ZONING.layers[k]].toGeoJSON(); });
  function replace(k, fc) { var l = window[ZONING.layers[k]]; l.clearLayers(); l.addData(fc); }
  map.on('moveend', function () {
    var z = map.getZoom(), seq = ++detailSeq;
    if (z < ZONING.detailMinZoom) {
      if (detailShown) { detailLayers.forEach(function (k) { replace(k, overview[k]); }); detailShown = false; }
      return;
    }
    var b = map.getBounds().pad(0.2);
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x) { return x.toFixed(5); }).join(',');
    Promise.all(detailLayers.map(function (k) {
      return fetch('/map/layers/' + k + '.geojson?bbox=' + bbox + '&zoom=' + z + asOfQuery).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); });
    })).then(function (fcs) {
      if (seq !== detailSeq) return;  // a newer move superseded this one
      detailLayers.forEach(function (k, i) { replace(k, fcs[i]); });
      detailShown = true;
    }).catch(function (e) { console.warn('detail geometry not loaded: ' + e); });
  });

  // --- click anywhere: the locate answer --------------------------------------------------
  var drawing = false;
  map.on('draw:drawstart', function () { drawing = true; });
  map.on('draw:drawstop', function () { setTimeout(function () { drawing = false; }, 0); });
  function locatePopup(a) {
    var u = a.control_unit, h = '<div class="locate-popup" data-unit-code="' + esc(u.code) + '">';
    h += '<div><span class="code">' + esc(u.code) + '</span> <span style="display:inline-block;width:10px;height:10px;background:' +
      (ZONING.classColours[u.control_class] || '#999') + '"></span> ' + esc(u.class_label_zh) + ' <i>' + esc(u.class_label_en) + '</i></div>';
    h += '<div><b>' + esc(u.name_zh) + '</b></div>';
    h += '<div>' + esc(a.division.name_zh) + ' ' + esc(a.division.name_en) + '</div>';
    (a.water_protection_zones || []).forEach(function (z) { h += '<div>💧 ' + esc(z.source_name_zh) + ' ' + esc(z.grade_label_zh) + '</div>'; });
    (a.ecological_redline || []).forEach(function (r) { h += '<div style="color:#b71c1c">生态保护红线 ' + esc(r.name_zh) + '</div>'; });
    (a.nature_reserve_zones || []).forEach(function (r) { h += '<div>' + esc(r.reserve_name_zh) + ' ' + esc(r.zone_label_zh) + '</div>'; });
    h += '<div style="margin-top:4px"><a href="/v1/units/' + encodeURIComponent(u.code) + '" target="_blank">单元记录 Unit record</a> · ' +
      '<a href="/v1/locate?lon=' + a.location.lon + '&lat=' + a.location.lat + asOfQuery + '&f=html" target="_blank">预览 Preview</a></div>';
    return h + '<div style="color:#777">' + esc(a.dataset.label) + '</div></div>';
  }
  map.on('click', function (e) {
    if (drawing) return;
    var lon = e.latlng.lng.toFixed(6), lat = e.latlng.lat.toFixed(6);
    var popup = L.popup({maxWidth: 320}).setLatLng(e.latlng).setContent('查询中… locating').openOn(map);
    fetch('/v1/locate?lon=' + lon + '&lat=' + lat + asOfQuery, {headers: {Accept: 'application/json'}})
      .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) {
        popup.setContent(res.ok ? locatePopup(res.body)
          : '<div class="locate-popup">' + esc(res.body.title || 'Error') + ': ' + esc(res.body.detail || '') + '</div>');
      })
      .catch(function (err) { popup.setContent('定位失败 locate failed: ' + esc(err)); });
  });

  // --- search by unit code or name ------------------------------------------------------
  var dl = document.getElementById('zoning-units');
  ZONING.units.forEach(function (u) { var o = document.createElement('option'); o.value = u.c; o.label = u.n; dl.appendChild(o); });
  document.getElementById('zoning-search-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var q = document.getElementById('zoning-search').value.trim(), msg = document.getElementById('zoning-search-msg');
    if (!q) return;
    var qu = q.toUpperCase();
    var hits = ZONING.units.filter(function (u) { return u.c === qu; });
    if (!hits.length) hits = ZONING.units.filter(function (u) { return u.c.indexOf(qu) === 0 || u.n.indexOf(q) >= 0; });
    if (!hits.length) { msg.innerHTML = '<span class="err">未找到 No unit matches “' + esc(q) + '”</span>'; return; }
    var u = hits[0];
    msg.textContent = hits.length > 1 ? hits.length + ' 个匹配 matches; showing ' + u.c : '';
    map.fitBounds([[u.b[1], u.b[0]], [u.b[3], u.b[2]]], {maxZoom: 14});
    L.popup({maxWidth: 320}).setLatLng(u.p).setContent(
      '<div class="locate-popup" data-unit-code="' + esc(u.c) + '"><span class="code">' + esc(u.c) + '</span> ' +
      esc(ZONING.classEn[u.k]) + '<div><b>' + esc(u.n) + '</b></div><a href="/v1/units/' + encodeURIComponent(u.c) +
      '" target="_blank">单元记录 Unit record</a></div>').openOn(map);
  });

  // --- version selector -----------------------------------------------------------------
  var sel = document.getElementById('zoning-version');
  fetch('/v1/datasets').then(function (r) { return r.ok ? r.json() : []; }).then(function (vs) {
    if (!vs.length) return;
    sel.innerHTML = '';
    vs.forEach(function (v) {
      if (v.status === 'draft' || !v.effective_from) return;
      var o = document.createElement('option');
      o.value = v.in_force ? '' : v.effective_from;
      o.textContent = v.label + ' (' + v.effective_from + ' – ' + (v.effective_to || '') + ')' + (v.in_force ? ' 现行 in force' : '');
      if (v.label === ZONING.version) o.selected = true;
      sel.appendChild(o);
    });
  }).catch(function () {});
  sel.addEventListener('change', function () { location.href = '/map' + (sel.value ? '?as_of=' + sel.value : ''); });

  // --- siting screening: draw or upload a footprint, pick an industry, POST ------------------
  var footprint = null, footprintFile = null, uploaded = null, drawn = window['drawnItems_' + ZONING.draw];
  var smsg = document.getElementById('zoning-screening-msg');
  map.on('draw:created', function (e) {
    if (drawn) drawn.clearLayers();
    if (uploaded) { map.removeLayer(uploaded); uploaded = null; }
    footprint = e.layer.toGeoJSON().geometry; footprintFile = null;
    document.getElementById('zoning-screening').open = true;
    smsg.textContent = '已绘制范围 Footprint drawn (' + footprint.type + ')';
  });
  // A GeoJSON file is drawn and posted as JSON; any other file (zipped shapefile, GeoPackage, KML/KMZ,
  // a 界址点 table) is posted as is to /v1/screenings/upload, which reads it.
  document.getElementById('zoning-upload').addEventListener('change', function (ev) {
    var f = ev.target.files[0]; if (!f) return;
    if (!/\.(geo)?json$/i.test(f.name)) {
      footprint = null; footprintFile = f;
      if (drawn) drawn.clearLayers();
      if (uploaded) { map.removeLayer(uploaded); uploaded = null; }
      smsg.textContent = '已选择文件 File chosen: ' + f.name;
      return;
    }
    f.text().then(function (t) {
      var g = JSON.parse(t);
      if (g.type === 'FeatureCollection') g = g.features[0];
      if (g && g.type === 'Feature') g = g.geometry;
      if (!g || !g.type || !g.coordinates) throw new Error('no geometry in the file');
      footprint = g; footprintFile = null;
      if (drawn) drawn.clearLayers();
      if (uploaded) map.removeLayer(uploaded);
      uploaded = L.geoJSON(g, {style: {color: '#000', weight: 2, fillOpacity: 0.1}}).addTo(map);
      map.fitBounds(uploaded.getBounds(), {maxZoom: 15});
      smsg.textContent = '已上传范围 Footprint uploaded (' + g.type + ')';
    }).catch(function (e) { smsg.innerHTML = '<span class="err">' + esc(e.message) + '</span>'; });
  });
  document.getElementById('zoning-screen').addEventListener('click', function () {
    if (!footprint && !footprintFile) { smsg.innerHTML = '<span class="err">请先绘制或上传项目范围 Draw or upload a footprint first</span>'; return; }
    var industry = document.getElementById('zoning-industry').value.trim().split(/\s/)[0];
    var body = {footprint: footprint, industry: industry,
                buffer_m: Number(document.getElementById('zoning-buffer').value || 0),
                project_name: document.getElementById('zoning-project').value};
    if (ZONING.asOf) body.as_of = ZONING.asOf;
    smsg.textContent = '筛查中… screening';
    var request;
    if (footprintFile) {
      var form = new FormData();
      form.append('file', footprintFile);
      ['industry', 'buffer_m', 'project_name', 'as_of'].forEach(function (k) { if (body[k] != null) form.append(k, body[k]); });
      request = fetch('/v1/screenings/upload', {method: 'POST', headers: postHeaders(), body: form});
    } else {
      request = fetch('/v1/screenings', {
        method: 'POST', headers: postHeaders({'Content-Type': 'application/json'}),
        body: JSON.stringify(body)
      });
    }
    request.then(function (r) { return r.json().then(function (b) { return {ok: r.ok, status: r.status, body: b}; }); })
      .then(function (res) {
        if (!res.ok) { smsg.innerHTML = '<span class="err">' + esc(res.body.title || ('HTTP ' + res.status)) + ': ' + esc(res.body.detail || '') + '</span>'; return; }
        // The verdict is top-level in the answer, or under `result` in a stored screening record.
        var r = res.body.result || res.body, v = String(r.verdict || '');
        var label = (r.verdict_label_zh || '') + ' ' + (r.verdict_label_en || '');
        var href = (res.body.links && res.body.links.html) ||
          (res.body.id != null ? '/v1/screenings/' + encodeURIComponent(res.body.id) + '?f=html' : null);
        smsg.innerHTML = '结论 Verdict: <span class="verdict ' + esc(v.toUpperCase()) + '" id="zoning-verdict">' + esc(v) + '</span> ' +
          esc(label) + (href ? ' · <a href="' + esc(href) + '" target="_blank">报告 Report</a>' : '');
      }).catch(function (e) { smsg.innerHTML = '<span class="err">' + esc(e) + '</span>'; });
  });
  // --- who is signed in; sign out --------------------------------------------------------
  var who = document.getElementById('zoning-session');
  fetch('/auth/session').then(function (r) { return r.json(); }).then(function (sres) {
    if (!sres.signed_in) return;
    who.innerHTML = '已登录 Signed in: <b>' + esc(sres.name) + '</b> ' +
      '<button type="button" id="zoning-sign-out">退出 Sign out</button>';
    document.getElementById('zoning-sign-out').addEventListener('click', function () {
      fetch('/auth/sign-out', {method: 'POST', headers: postHeaders()})
        .then(function () { location.href = '/auth/sign-in'; });
    });
  }).catch(function () {});
  window.zoningReadyAt = performance.now();
  document.body.setAttribute('data-zoning-ready', '1');
})();
