/* OpenSOR map: draws the listed units on a Leaflet map. The list stays the content; without
   script, Leaflet or tiles the page is the list. Tiles come only from SOR_MAP_TILES. */
(function () {
  "use strict";
  function setup() {
    var box = document.getElementById("map");
    var note = document.getElementById("map-note");
    if (!box || typeof window.L === "undefined") { return; }
    var items = document.querySelectorAll("#map-list li[data-lat]");
    var points = [];
    box.hidden = false;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", box.getAttribute("data-label"));
    var map = window.L.map(box, { keyboard: true });
    var tiles = box.getAttribute("data-tiles");
    var failed = false;
    function noTiles() {
      if (!failed) { failed = true; note.hidden = false; }
    }
    if (tiles) {
      var layer = window.L.tileLayer(tiles, {
        maxZoom: 18,
        attribution: "&copy; OpenStreetMap"
      });
      layer.on("tileerror", noTiles);
      layer.addTo(map);
    } else {
      noTiles();
    }
    items.forEach(function (item) {
      var lat = parseFloat(item.getAttribute("data-lat"));
      var lon = parseFloat(item.getAttribute("data-lon"));
      if (isNaN(lat) || isNaN(lon)) { return; }
      var link = item.querySelector("a");
      var marker = window.L.circleMarker([lat, lon], {
        radius: 6, color: "#0b3d66", weight: 2, fillColor: "#2f7fc1", fillOpacity: 0.8
      }).addTo(map);
      var popup = document.createElement("a");
      popup.href = link.getAttribute("href");
      popup.textContent = link.textContent;
      marker.bindPopup(popup);
      points.push([lat, lon]);
    });
    if (points.length) {
      map.fitBounds(points, { padding: [20, 20], maxZoom: 13 });
    } else {
      map.setView([56.0, 10.5], 6);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
