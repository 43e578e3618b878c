"""Map pages and previews (Folium/Leaflet, offline). Maps live in the HTTP layer; the domain draws none."""
