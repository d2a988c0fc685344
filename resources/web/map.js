// Control Tower live map: features arrive as JSON from Python; every string is shown as text, never markup.
(function () {
  "use strict";
  var STATUSES = ["planned", "en_route", "delivered", "failed", "exception"];
  var STATUS_LABELS = { planned: "Planned", en_route: "En route", delivered: "Delivered", failed: "Failed", exception: "Exception" };
  var STATUS_COLORS = { planned: "#6b7a8f", en_route: "#1f77d0", delivered: "#2e9d4f", failed: "#e08a00", exception: "#d7263d" };

  var CT = { map: null, bridge: null, stops: new Map(), routes: new Map(), vans: new Map(), depots: new Map(),
             selected: new Set(), layers: {}, ready: false, loadedAt: Date.now() };
  window.CT = CT;

  // ---- safe building blocks -------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null && text !== "") node.textContent = String(text);
    return node;
  }
  function safeColor(value, fallback) {
    return /^#[0-9a-fA-F]{3,8}$/.test(value || "") ? value : fallback;
  }
  function safeStatus(value) {
    return STATUSES.indexOf(value) >= 0 ? value : "planned";
  }
  // A div icon whose look is set through the DOM (element.style), never a style="" attribute in markup: the page's
  // policy allows no inline style, so a value can't smuggle CSS. Only checked colours and whole pixel sizes go in.
  var StyledIcon = L.DivIcon.extend({
    createIcon: function (oldIcon) {
      var div = L.DivIcon.prototype.createIcon.call(this, oldIcon);
      var look = this.options.look || {};
      var inner = div.firstChild;
      if (inner && inner.style) {
        if (look.borderColor) inner.style.borderColor = safeColor(look.borderColor, "");
        if (look.size) inner.style.width = inner.style.height = Math.trunc(Number(look.size)) + "px";
      }
      return div;
    }
  });
  function escapeText(value) {  // only for Leaflet's attribution, which takes HTML
    var node = document.createElement("span");
    node.textContent = String(value || "");
    return node.innerHTML;
  }
  function call(name) {  // to Python, when the channel is up
    var args = Array.prototype.slice.call(arguments, 1);
    if (CT.bridge && CT.bridge[name]) CT.bridge[name].apply(CT.bridge, args);
  }

  // ---- stops ----------------------------------------------------------------------------------
  var icons = new Map();  // one icon object per look, shared by every marker that looks the same

  function stopIcon(stop) {
    var status = safeStatus(stop.status);
    var selected = CT.selected.has(stop.order_id) ? " ct-selected" : "";
    var routed = stop.sequence !== null && stop.sequence !== undefined;
    var label = routed ? String(Math.trunc(Number(stop.sequence)) || 0) : "";
    var ring = routed ? safeColor(stop.route_color, "#ffffff") : "";
    var key = status + selected + (stop.approximate ? "~" : "") + "|" + label + "|" + ring;
    var icon = icons.get(key);
    if (icon) return icon;
    if (status === "exception") {
      icon = L.divIcon({ className: "", html: '<div class="ct-problem' + selected + '">!</div>', iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -14] });
    } else {
      var classes = "ct-stop ct-s-" + status + (routed ? " ct-routed" : "") + (stop.approximate ? " ct-approx" : "") + selected;
      var size = routed ? 22 : 18;
      icon = new StyledIcon({ className: "", html: '<div class="' + classes + '">' + label + "</div>",
                              look: { borderColor: routed ? ring : "" },
                              iconSize: [size, size], iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2] });
    }
    icons.set(key, icon);
    return icon;
  }

  function stopTitle(stop) {
    var prefix = stop.sequence !== null && stop.sequence !== undefined ? stop.sequence + ". " : "";
    return prefix + (stop.customer || stop.order_ref || "");
  }

  function popupFor(marker) {
    var stop = marker.ct;
    var box = el("div", "ct-popup");
    box.appendChild(el("div", "ct-ref", stop.order_ref));
    box.appendChild(el("div", "ct-customer", stop.customer));
    box.appendChild(el("div", "ct-address", stop.address));
    if (stop.window) box.appendChild(el("div", "ct-window", "Promised " + stop.window));
    var badge = el("span", "ct-status", STATUS_LABELS[safeStatus(stop.status)]);
    badge.style.background = STATUS_COLORS[safeStatus(stop.status)];
    box.appendChild(badge);
    var route = CT.routes.get(stop.route_id);
    if (route) box.appendChild(el("div", "ct-route", "Stop " + stop.sequence + " on " + route.ct.name));
    if (stop.exception) box.appendChild(el("div", "ct-problem-text", stop.exception));
    if (stop.approximate) box.appendChild(el("div", "ct-note", "Approximate position: drag the marker to correct it."));
    return box;
  }

  function confirmMove(marker) {
    var stop = marker.ct;
    var box = el("div", "ct-popup ct-confirm");
    box.appendChild(el("div", "", "Move the delivery point for " + (stop.customer || stop.order_ref) + " here?"));
    var save = el("button", "ct-save", "Save position");
    var undo = el("button", "ct-undo", "Undo");
    box.appendChild(save);
    box.appendChild(undo);
    var to = marker.getLatLng();
    // A refresh while the user decides keeps the marker where they dropped it (see updateStops) and only
    // records where the store has it (marker.ct), which is where Undo puts it back.
    CT.confirming = marker;
    function done() { if (CT.confirming === marker) CT.confirming = null; CT.map.closePopup(confirm); }
    save.addEventListener("click", function () {
      marker.ct = Object.assign({}, marker.ct, { lat: to.lat, lon: to.lng });
      done();
      call("stopMoved", marker.ct.order_id, to.lat, to.lng);
    });
    undo.addEventListener("click", function () { done(); marker.setLatLng([marker.ct.lat, marker.ct.lon]); });
    var confirm = L.popup({ closeOnClick: false }).setLatLng(to).setContent(box);
    confirm.on("remove", function () { if (CT.confirming === marker) CT.confirming = null; });
    confirm.openOn(CT.map);
    CT.pendingMove = box;
  }

  function layerForStatus(status) {
    return safeStatus(status) === "exception" ? CT.layers.problems : CT.layers.stops;
  }

  function makeStop(stop) {
    var marker = L.marker([stop.lat, stop.lon], { icon: stopIcon(stop), title: stopTitle(stop), draggable: true,
                                                  zIndexOffset: stop.status === "exception" ? 1000 : 0 });
    marker.ct = stop;
    marker.on(STOP_EVENTS);
    return marker;
  }

  // One set of handlers shared by every stop marker (10,000 markers, no closures each); `this` is unused.
  function onStopClick(event) {
    var marker = event.target;
    selectIds([marker.ct.order_id], false);
    openStop(marker);
    call("stopClicked", marker.ct.order_id);
  }
  function onStopDragStart(event) { CT.confirming = event.target; }
  function onStopDragEnd(event) { confirmMove(event.target); }
  // Which stop's popup is open: a refresh keeps it open (and its text current) across in-place changes.
  function onStopPopupOpen(event) { CT.popupStop = event.target; }
  function onStopPopupClose(event) { if (CT.popupStop === event.target) CT.popupStop = null; }
  var STOP_EVENTS = { click: onStopClick, dragstart: onStopDragStart, dragend: onStopDragEnd,
                      popupopen: onStopPopupOpen, popupclose: onStopPopupClose };

  function openStop(marker) {
    if (!marker.getPopup()) marker.bindPopup(popupFor);
    marker.openPopup();
  }
  CT.openStop = function (orderId) {
    var marker = CT.stops.get(orderId);
    if (!marker) return false;
    openStop(marker);
    return true;
  };

  function restyle(marker) {
    var icon = stopIcon(marker.ct);
    if (marker.options.icon !== icon) marker.setIcon(icon);
    if (marker.options.title !== stopTitle(marker.ct)) {
      marker.options.title = stopTitle(marker.ct);
      var icon = marker.getElement();
      if (icon) icon.title = marker.options.title;
    }
  }

  function fromColumns(data) {  // {field: [values...]} back to one object per stop; null means "not set"
    if (Array.isArray(data)) return data;
    var names = Object.keys(data), count = names.length ? data[names[0]].length : 0, rows = new Array(count);
    for (var i = 0; i < count; i++) {
      var row = {};
      for (var k = 0; k < names.length; k++) {
        var value = data[names[k]][i];
        if (value !== null) row[names[k]] = value;
      }
      rows[i] = row;
    }
    return rows;
  }

  CT.setStops = function (data) {
    var stops = fromColumns(data);
    CT.layers.stops.clearLayers();
    CT.layers.problems.clearLayers();
    CT.stops.clear();
    var clustered = [];
    for (var i = 0; i < stops.length; i++) {
      var marker = makeStop(stops[i]);
      CT.stops.set(stops[i].order_id, marker);
      if (layerForStatus(stops[i].status) === CT.layers.stops) clustered.push(marker);
      else CT.layers.problems.addLayer(marker);
    }
    CT.layers.stops.addLayers(clustered);
    return CT.stops.size;
  };

  function updateStops(stops) {
    // Markers leave the cluster index in one batch, change, and come back in one batch: moving them one by
    // one makes markercluster re-cluster each separately, which is thousands of times slower.
    var cluster = CT.layers.stops, problems = CT.layers.problems;
    var leaving = [], joining = [], moves = [], raising = [];
    for (var i = 0; i < stops.length; i++) {
      var stop = stops[i];
      var marker = CT.stops.get(stop.order_id);
      if (!marker) {
        marker = makeStop(stop);
        CT.stops.set(stop.order_id, marker);
        if (layerForStatus(stop.status) === cluster) joining.push(marker);
        else problems.addLayer(marker);
        continue;
      }
      var before = layerForStatus(marker.ct.status);
      marker.ct = Object.assign({}, marker.ct, stop);  // a partial stop changes only the fields it carries
      var after = layerForStatus(marker.ct.status);
      var position = marker.getLatLng();
      var moved = marker !== CT.confirming && (position.lat !== marker.ct.lat || position.lng !== marker.ct.lon);
      if (before === cluster && (after !== cluster || moved)) leaving.push(marker);
      if (before === problems && after !== problems) problems.removeLayer(marker);
      if (moved) moves.push(marker);
      if (after === cluster && (before !== cluster || moved)) joining.push(marker);
      if (before !== after) marker.setZIndexOffset(after === problems ? 1000 : 0);
      restyle(marker);
      if (after === problems && before !== problems) raising.push(marker);
    }
    if (leaving.length) cluster.removeLayers(leaving);
    raising.forEach(function (marker) { problems.addLayer(marker); });
    // markercluster still listens to a removed marker's "move" and would re-add it on its own, one by one.
    cluster._ignoreMove = true;
    moves.forEach(function (marker) { marker.setLatLng([marker.ct.lat, marker.ct.lon]); });
    cluster._ignoreMove = false;
    if (joining.length) cluster.addLayers(joining);
  }

  function removeStops(ids) {
    var clustered = [];
    ids.forEach(function (id) {
      var marker = CT.stops.get(id);
      if (!marker) return;
      if (CT.layers.stops.hasLayer(marker)) clustered.push(marker);
      else CT.layers.problems.removeLayer(marker);
      CT.stops.delete(id);
    });
    if (clustered.length) CT.layers.stops.removeLayers(clustered);
  }

  // Changes keep the user's place: no pan or zoom, and the popup they opened stays open with its text redrawn.
  // A marker leaving and re-entering the cluster index (a move, a change of layer) loses its popup on the way,
  // so it is opened again where it now is; a removed stop's popup closes with it.
  function keepingPopup(change) {
    var marker = CT.popupStop, popup = marker && marker.getPopup();
    if (popup) popup.options.autoPan = false;
    try {
      change();
    } finally {
      if (popup) {
        if (CT.stops.get(marker.ct.order_id) === marker) {
          if (popup.isOpen()) popup.update();
          else if (marker._map) marker.openPopup();
        }
        popup.options.autoPan = true;
      }
    }
  }

  CT.updateStops = function (stops) {
    keepingPopup(function () { updateStops(stops); });
    return CT.stops.size;
  };

  CT.removeStops = function (ids) {
    keepingPopup(function () { removeStops(ids); });
    return CT.stops.size;
  };

  // One refresh of the same day: {upserts: new stops in full and changed ones in part, removed: order ids}.
  CT.changeStops = function (changes) {
    keepingPopup(function () {
      removeStops(changes.removed || []);
      updateStops(changes.upserts || []);
    });
    return CT.stops.size;
  };

  CT.markerCount = function () {
    return CT.layers.stops.getLayers().length + CT.layers.problems.getLayers().length;
  };

  // ---- selection ------------------------------------------------------------------------------
  function selectIds(ids, pan) {
    var previous = CT.selected;
    CT.selected = new Set(ids);
    previous.forEach(function (id) { if (!CT.selected.has(id) && CT.stops.get(id)) restyle(CT.stops.get(id)); });
    var found = [];
    CT.selected.forEach(function (id) {
      var marker = CT.stops.get(id);
      if (marker) { restyle(marker); found.push(marker); }
    });
    if (pan && found.length === 1) {
      var only = found[0];
      if (CT.layers.stops.hasLayer(only)) CT.layers.stops.zoomToShowLayer(only, function () { CT.map.panTo(only.getLatLng()); });
      else CT.map.setView(only.getLatLng(), Math.max(CT.map.getZoom(), 14));
    } else if (pan && found.length > 1) {
      CT.map.fitBounds(L.latLngBounds(found.map(function (m) { return m.getLatLng(); })), { padding: [40, 40], maxZoom: 16 });
    }
    return found.length;
  }
  CT.select = function (ids) { return selectIds(ids, true); };

  CT.fit = function (ids) {
    var points = [];
    var wanted = ids && ids.length ? ids : (CT.selected.size ? Array.from(CT.selected) : null);
    if (wanted) wanted.forEach(function (id) { var m = CT.stops.get(id); if (m) points.push(m.getLatLng()); });
    else {
      CT.stops.forEach(function (m) { points.push(m.getLatLng()); });
      CT.depots.forEach(function (m) { points.push(m.getLatLng()); });
    }
    if (points.length) CT.map.fitBounds(L.latLngBounds(points), { padding: [40, 40], maxZoom: 16 });
    else if (!wanted && CT.areaBounds) showArea();  // no stops yet: the shop's area
    return points.length;
  };

  // ---- routes, vans, depots -------------------------------------------------------------------
  // Each is kept by its id and changed in place, so a refresh (vans move every few seconds) leaves open
  // tooltips, the stop popup and the view alone. Tooltips read the layer's current data when drawn.
  function syncLayers(store, group, items, idOf, make, change) {
    var wanted = new Set();
    items.forEach(function (item) {
      var id = idOf(item), layer = store.get(id);
      wanted.add(id);
      if (layer) { change(layer, item); layer.ct = item; return; }
      layer = make(item);
      layer.ct = item;
      group.addLayer(layer);
      store.set(id, layer);
    });
    store.forEach(function (layer, id) {
      if (!wanted.has(id)) { group.removeLayer(layer); store.delete(id); }
    });
    return store.size;
  }
  function sameSpot(layer, item) {
    var at = layer.getLatLng();
    return at.lat === item.lat && at.lng === item.lon;
  }
  function refreshTooltip(layer) {
    var tooltip = layer.getTooltip();
    if (tooltip && tooltip.isOpen()) tooltip.update();
  }
  function routeColor(route) { return safeColor(route.color, "#7b3fe4"); }
  function legendKey(routes) {
    return routes.map(function (route) { return route.route_id + "|" + routeColor(route) + "|" + route.name; }).join("\n");
  }

  CT.setRoutes = function (routes) {
    keepingPopup(function () {  // the popup names the stop's route
      syncLayers(CT.routes, CT.layers.routes, routes, function (route) { return route.route_id; },
        function (route) {
          var line = L.polyline(route.path, { color: routeColor(route), weight: 4, opacity: 0.75 });
          line.bindTooltip(function () { return el("span", "", line.ct.name); }, { sticky: true });
          return line;
        },
        function (line, route) {
          if (JSON.stringify(line.ct.path) !== JSON.stringify(route.path)) line.setLatLngs(route.path);
          if (line.ct.color !== route.color) line.setStyle({ color: routeColor(route) });
          if (line.ct.name !== route.name) { line.ct = route; refreshTooltip(line); }
        });
    });
    var key = legendKey(routes);
    if (key !== CT.legendRoutes) { CT.legendRoutes = key; renderLegend(); }
    return CT.routes.size;
  };

  function lastSeenText(van) {
    if (!van.last_seen) return van.name + ": position time unknown";
    var seen = new Date(van.last_seen);
    var minutes = Math.max(0, Math.round((Date.now() - seen.getTime()) / 60000));
    var clock = seen.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    var ago = minutes < 1 ? "just now" : minutes < 120 ? minutes + " min ago" : Math.round(minutes / 60) + " h ago";
    return van.name + ": last seen " + clock + " (" + ago + ")";
  }

  function vanIcon(van) {
    // An SVG van: a ring in the route's colour, an arrow for the heading; only numbers and checked colours go in.
    var stale = van.last_seen && (Date.now() - new Date(van.last_seen).getTime()) > 15 * 60000 ? " ct-stale" : "";
    var color = safeColor(van.color, "#333333");
    var heading = Number(van.heading) % 360;  // a number, so nothing but digits reaches the transform attribute
    var arrow = van.heading !== null && van.heading !== undefined && isFinite(heading)
      ? '<path class="ct-van-arrow" transform="rotate(' + heading + ')" d="M0,-18 L8,-5 L-8,-5 Z" fill="' + color + '"/>' : "";
    var html = '<svg class="ct-van-body' + stale + '" width="36" height="36" viewBox="-18 -18 36 36">' + arrow +
      '<circle r="8" fill="#fff" stroke="' + color + '" stroke-width="3.5"/><circle r="2.5" fill="' + color + '"/></svg>';
    return L.divIcon({ className: "ct-van", html: html, iconSize: [36, 36], iconAnchor: [18, 18] });
  }

  function placeVan(marker, van) {  // move and restyle a van already shown; its element is redrawn only if its look changed
    if (!sameSpot(marker, van)) marker.setLatLng([van.lat, van.lon]);
    var icon = vanIcon(van);
    if (icon.options.html !== marker.options.icon.options.html) marker.setIcon(icon);
    marker.ct = van;
    refreshTooltip(marker);
  }

  CT.setVehicles = function (vans) {
    return syncLayers(CT.vans, CT.layers.vans, vans, function (van) { return van.vehicle_id; },
      function (van) {
        var marker = L.marker([van.lat, van.lon], { icon: vanIcon(van), zIndexOffset: 2000, keyboard: false });
        marker.bindTooltip(function () { return el("span", "", lastSeenText(marker.ct)); });
        return marker;
      },
      placeVan);
  };

  CT.moveVehicles = function (vans) {  // position/heading updates for vans already on the map
    vans.forEach(function (van) {
      var marker = CT.vans.get(van.vehicle_id);
      if (marker) placeVan(marker, Object.assign({}, marker.ct, van));
    });
    return CT.vans.size;
  };

  function depotText(depot) { return depot.name + (depot.address ? " · " + depot.address : ""); }

  CT.setDepots = function (depots) {
    return syncLayers(CT.depots, CT.layers.depots, depots, function (depot) { return depot.depot_id; },
      function (depot) {
        var marker = L.marker([depot.lat, depot.lon], { icon: L.divIcon({ className: "", html: '<div class="ct-depot">D</div>', iconSize: [24, 24], iconAnchor: [12, 12] }),
                                                        zIndexOffset: 1500, title: depot.name });
        marker.bindTooltip(function () { return el("span", "", depotText(marker.ct)); });
        return marker;
      },
      function (marker, depot) {
        if (!sameSpot(marker, depot)) marker.setLatLng([depot.lat, depot.lon]);
        if (marker.options.title !== depot.name) {
          marker.options.title = depot.name;
          if (marker.getElement()) marker.getElement().title = depot.name;
        }
        marker.ct = depot;
        refreshTooltip(marker);
      });
  };

  // ---- tiles, offline background, controls ----------------------------------------------------
  CT.setTiles = function (info) {
    if (CT.layers.tiles) CT.layers.tiles.options.maxNativeZoom = info.max_zoom;
    var attribution = CT.map.attributionControl;
    if (CT.tileAttribution) attribution.removeAttribution(CT.tileAttribution);
    CT.tileAttribution = info.attribution ? escapeText(info.attribution) : "";
    if (CT.tileAttribution) attribution.addAttribution(CT.tileAttribution);
  };

  // The shop's area package's own street map, drawn from its OpenStreetMap extract: above the online tiles, inside
  // its box, at its zooms (and magnified past them). Served by the app, so it shows with no network at all.
  CT.setArea = function (info) {
    var attribution = CT.map.attributionControl;
    if (CT.layers.area) {
      CT.map.removeLayer(CT.layers.area);
      CT.layerControl.removeLayer(CT.layers.area);
      if (CT.areaAttribution) attribution.removeAttribution(CT.areaAttribution);
      CT.layers.area = CT.areaBounds = CT.areaAttribution = null;
    }
    if (!info) return false;
    var box = info.bounds.map(Number);
    CT.areaBounds = L.latLngBounds([box[0], box[1]], [box[2], box[3]]);
    CT.layers.area = L.tileLayer("ct://area/{z}/{x}/{y}.png?build=" + encodeURIComponent(String(info.version || "")), {
      bounds: CT.areaBounds, minZoom: Math.trunc(Number(info.min_zoom)) || 0, maxNativeZoom: Math.trunc(Number(info.max_zoom)) || 17,
      maxZoom: 19, zIndex: 2, crossOrigin: false });
    CT.layers.area.on("tileload", function () { CT.areaTilesLoaded = (CT.areaTilesLoaded || 0) + 1; });
    CT.layers.area.addTo(CT.map);
    CT.layerControl.addOverlay(CT.layers.area, "Streets of your area (offline)");
    CT.areaAttribution = escapeText(info.attribution);  // the package's words, shown as text
    if (CT.areaAttribution) attribution.addAttribution(CT.areaAttribution);
    if (!CT.stops.size && !CT.depots.size) showArea();
    return true;
  };
  CT.tilesSettled = function () {  // the area's street tiles on screen have all arrived (or failed)
    var area = CT.layers.area;
    return !area || !CT.map.hasLayer(area) || !area.isLoading();
  };
  function showArea() {  // its middle at street level (a whole city would fit only at zoom 11, streets unreadable)
    CT.map.setView(CT.areaBounds.getCenter(), Math.min(16, Math.max(CT.map.getBoundsZoom(CT.areaBounds), 15)), { animate: false });
  }

  CT.setOnline = function (online, message) {
    CT.online = online;
    CT.badge.textContent = message || "Offline: showing saved tiles and the built-in background map";
    CT.badge.classList.toggle("ct-visible", !online);
  };

  function loadBackground() {
    fetch("ct://app/basemap/countries-50m.json").then(function (response) { return response.json(); }).then(function (topology) {
      var countries = topojson.feature(topology, topology.objects.countries);
      CT.layers.background.addData(countries);
      CT.backgroundFeatures = countries.features.length;
    }).catch(function (error) { CT.backgroundError = String(error); });
  }

  function renderLegend() {
    if (!CT.legend) return;
    var outer = CT.legend;
    outer.textContent = "";
    var toggle = el("div", "ct-legend-toggle", "Legend");
    toggle.title = "Show or hide the legend";
    toggle.addEventListener("click", function () { outer.classList.toggle("ct-collapsed"); });
    outer.appendChild(toggle);
    var box = el("div", "ct-legend-body");
    outer.appendChild(box);
    box.appendChild(el("h4", "", "Stops"));
    STATUSES.forEach(function (status) {
      var row = el("div", "ct-legend-row");
      var swatch = el("span", "ct-swatch");
      swatch.style.background = STATUS_COLORS[status];
      row.appendChild(swatch);
      row.appendChild(el("span", "", STATUS_LABELS[status]));
      box.appendChild(row);
    });
    if (CT.routes.size) {
      box.appendChild(el("h4", "", "Routes"));
      CT.routes.forEach(function (line) {
        var row = el("div", "ct-legend-row");
        var swatch = el("span", "ct-swatch ct-line");
        swatch.style.background = safeColor(line.ct.color, "#7b3fe4");
        row.appendChild(swatch);
        row.appendChild(el("span", "", line.ct.name));
        box.appendChild(row);
      });
    }
    box.appendChild(el("h4", "", "Other"));
    [["ct-swatch ct-key-depot", "Depot"], ["ct-swatch ct-key-van", "Van (arrow: heading)"], ["ct-swatch ct-key-problem", "Problem to act on"]]
      .forEach(function (item) {
        var row = el("div", "ct-legend-row");
        row.appendChild(el("span", item[0]));
        row.appendChild(el("span", "", item[1]));
        box.appendChild(row);
      });
  }

  function clusterIcon(cluster) {
    var children = cluster.getAllChildMarkers();
    var count = children.length;
    var size = count < 10 ? 30 : count < 100 ? 36 : count < 1000 ? 42 : 50;
    return new StyledIcon({ className: "", html: '<div class="ct-cluster">' + Math.trunc(Number(count)) + "</div>",
                            look: { size: size }, iconSize: [size, size] });
  }

  function control(position, build) {
    var Control = L.Control.extend({ onAdd: build });
    var instance = new Control({ position: position });
    instance.addTo(CT.map);
    return instance;
  }

  CT.init = function (map) {
    CT.map = map;
    map.createPane("background").style.zIndex = 150;
    CT.layers.background = L.geoJSON(null, { pane: "background", interactive: false,
      style: { color: "#9aa7a0", weight: 0.8, fillColor: "#f2efe6", fillOpacity: 1 } }).addTo(map);
    CT.layers.tiles = L.tileLayer("ct://tiles/{z}/{x}/{y}.png", { maxZoom: 19, maxNativeZoom: 19, crossOrigin: false }).addTo(map);
    CT.layers.tiles.on("tileerror", function () { CT.tileErrors = (CT.tileErrors || 0) + 1; });
    CT.layers.tiles.on("tileload", function () { CT.tilesLoaded = (CT.tilesLoaded || 0) + 1; });
    CT.layers.routes = L.featureGroup().addTo(map);
    CT.layers.stops = L.markerClusterGroup({ chunkedLoading: false, disableClusteringAtZoom: 15, maxClusterRadius: 40, showCoverageOnHover: false,
                                             spiderfyOnMaxZoom: true, iconCreateFunction: clusterIcon, removeOutsideVisibleBounds: true }).addTo(map);
    CT.layers.problems = L.featureGroup().addTo(map);
    CT.layers.depots = L.featureGroup().addTo(map);
    CT.layers.vans = L.featureGroup().addTo(map);
    CT.layerControl = L.control.layers(null, {
      "Stops": CT.layers.stops, "Problems": CT.layers.problems, "Routes": CT.layers.routes, "Vans": CT.layers.vans,
      "Depots": CT.layers.depots, "Map tiles": CT.layers.tiles, "Built-in background": CT.layers.background,
    }, { collapsed: true, position: "topright" }).addTo(map);
    control("topleft", function () {
      var button = el("button", "ct-fit", "Fit");
      button.title = "Zoom to the selected stops, or to everything";
      L.DomEvent.disableClickPropagation(button);
      button.addEventListener("click", function () { CT.fit(null); });
      return button;
    });
    // Under Fit in the same corner, stacked by Leaflet: in the bottom-left corner it covered Fit on a short map.
    control("topleft", function () { CT.badge = el("div", "ct-badge"); return CT.badge; });
    control("bottomright", function () {
      CT.legend = el("div", "ct-legend");
      if (document.documentElement.clientHeight < 420) CT.legend.classList.add("ct-collapsed");  // a small map keeps its room
      L.DomEvent.disableScrollPropagation(CT.legend);
      L.DomEvent.disableClickPropagation(CT.legend);
      return CT.legend;
    });
    renderLegend();
    loadBackground();
    if (window.QWebChannel && window.qt && qt.webChannelTransport) {
      new QWebChannel(qt.webChannelTransport, function (channel) {
        CT.bridge = channel.objects.bridge;
        CT.ready = true;
        call("pageReady");
      });
    } else {
      CT.ready = true;
    }
  };
})();
