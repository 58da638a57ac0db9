/* Leaflet maps on top of pages that already list the same places.
 * Each map reads its markers from a JSON data island (json_script); without
 * JavaScript or Leaflet the map stays hidden and nothing is lost. */
(function () {
  "use strict";
  if (!window.L) {
    return;
  }

  function popupContent(marker) {
    var box = document.createElement("div");
    var title;
    if (marker.url) {
      title = document.createElement("a");
      title.href = marker.url;
    } else {
      title = document.createElement("strong");
    }
    title.textContent = marker.title;
    box.appendChild(title);
    if (marker.text) {
      var text = document.createElement("div");
      text.textContent = marker.text;
      box.appendChild(text);
    }
    return box;
  }

  // The marker images by their static URLs (hashed names in production): Leaflet's own
  // guess, from its stylesheet's marker-icon.png, fails on a hashed name.
  function markerIcon(element) {
    var url = element.getAttribute("data-marker-icon");
    if (!url) {
      return new window.L.Icon.Default();
    }
    return window.L.icon({
      iconUrl: url,
      iconRetinaUrl: element.getAttribute("data-marker-icon-2x") || url,
      shadowUrl: element.getAttribute("data-marker-shadow"),
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      popupAnchor: [1, -34],
      tooltipAnchor: [16, -28],
      shadowSize: [41, 41]
    });
  }

  function initMap(element) {
    var source = document.getElementById(element.getAttribute("data-map-source"));
    if (!source) {
      return;
    }
    var data;
    try {
      data = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    if (!data.markers || !data.markers.length) {
      return;
    }
    element.hidden = false;
    var map = window.L.map(element, { scrollWheelZoom: false }).setView(data.center, data.zoom);
    window.L.tileLayer(data.tiles, { attribution: data.attribution, maxZoom: 19 }).addTo(map);
    var points = [];
    var icon = markerIcon(element);
    data.markers.forEach(function (marker) {
      var point = [marker.lat, marker.lng];
      window.L.marker(point, { icon: icon, title: marker.title, alt: marker.title, keyboard: true })
        .bindPopup(popupContent(marker))
        .addTo(map);
      points.push(point);
    });
    if (points.length > 1) {
      map.fitBounds(points, { padding: [24, 24], maxZoom: 14 });
    } else {
      map.setView(points[0], 13);
    }
  }

  document.querySelectorAll("[data-map-source]").forEach(initMap);
})();
