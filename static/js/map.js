/* Leaflet maps over a list of the same places (the map's list equivalent, in the page).
 * Each map reads its markers from a JSON data island (json_script); without
 * JavaScript or Leaflet the map stays hidden and nothing is lost.
 * Markers are clustered (leaflet.markercluster): places at the very same spot (a
 * provider's offers) stay reachable, the cluster spreading them out ("spiderfy") once
 * the map cannot zoom further. */
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

  // markercluster's own icon, named for screen readers: a cluster is a button (Leaflet
  // gives keyboard-focusable markers role="button"), its name says what it holds.
  var ClusterIcon = window.L.DivIcon.extend({
    createIcon: function (oldIcon) {
      var div = window.L.DivIcon.prototype.createIcon.call(this, oldIcon);
      div.setAttribute("aria-label", this.options.label);
      div.title = this.options.label;
      return div;
    }
  });

  function clusterIcon(label) {
    return function (cluster) {
      var count = cluster.getChildCount();
      var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
      var box = document.createElement("div");
      var text = document.createElement("span");
      text.textContent = String(count);
      text.setAttribute("aria-hidden", "true");
      box.appendChild(text);
      return new ClusterIcon({
        html: box,
        className: "marker-cluster marker-cluster-" + size,
        iconSize: new window.L.Point(40, 40),
        label: label.replace("{count}", String(count))
      });
    };
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
    var skip = document.querySelector('a.map-skip[href="#' + element.id + '-list"]');
    if (skip) {
      skip.hidden = false;
    }
    var map = window.L.map(element, { scrollWheelZoom: false, maxZoom: 19 });
    window.L.tileLayer(data.tiles, { attribution: data.attribution, maxZoom: 19 }).addTo(map);
    var points = [];
    var markers = [];
    var icon = markerIcon(element);
    data.markers.forEach(function (marker) {
      var point = [marker.lat, marker.lng];
      markers.push(
        window.L.marker(point, { icon: icon, title: marker.title, alt: marker.title, keyboard: true })
          .bindPopup(popupContent(marker))
      );
      points.push(point);
    });
    // The first view is set before any marker is added, at once: clusters drawn for an
    // earlier view would be redrawn by a zoom still running when a visitor opens one.
    if (points.length > 1) {
      map.fitBounds(points, { padding: [24, 24], maxZoom: 14 });
    } else {
      map.setView(points[0], 13);
    }
    if (window.L.markerClusterGroup) {
      var group = window.L.markerClusterGroup({
        // Half the default radius: a territory's first view shows its villages apart.
        maxClusterRadius: 40,
        showCoverageOnHover: false,
        iconCreateFunction: clusterIcon(element.getAttribute("data-cluster-label") || "{count}")
      });
      group.addLayers(markers);
      map.addLayer(group);
    } else {
      markers.forEach(function (marker) {
        marker.addTo(map);
      });
    }
  }

  document.querySelectorAll("[data-map-source]").forEach(initMap);
})();
