# ruff: noqa: E501  (sample files keep one record per line, as users write them)
"""Small valid files of every kind, as a user would write them (CSV text)."""

from __future__ import annotations

from lastmile.exchange import Context

HUB_TZ = Context({"HEL-1": "Europe/Helsinki"})

HUBS = """ref,name,lat,lon,timezone,address,opening_hours
HEL-1,Helsinki depot,60.2055,24.9625,Europe/Helsinki,Tattarisuontie 1,mon-fri 06:00-22:00; sat 08:00-16:00
"""

ZONES = """ref,name,hub_ref,polygon,access,not_home_rate
CORE,City core,HEL-1,"[[[24.93,60.16],[24.96,60.16],[24.96,60.18],[24.93,60.16]]]",cargo_bike_only;low_emission,0.04
"""

VEHICLES = """ref,kind,hub_ref,capacity_kg,capacity_l,capacity_parcels,range_km,cost_per_km_cents,equipment
VAN-1,van,HEL-1,1200,12000,150,,35,refrigerated
BIKE-1,cargo_bike,HEL-1,150,1000,40,50,5,
"""

DRIVERS = """ref,name,hub_ref,employment,skills,phone,max_work,max_driving,break_after,break_duration
D-1,Aino Virtanen,HEL-1,employee,age_check,+358401234567,10:00,9:00,4:30,0:30
D-2,Eero Korhonen,HEL-1,gig,,,8:00,8:00,none,
"""

SHIFTS = """ref,driver_ref,hub_ref,start,end,vehicle_ref,max_overtime_min
S-1,D-1,HEL-1,2026-11-24T08:00,2026-11-24T16:00,VAN-1,30
S-2,D-2,HEL-1,2026-11-24T10:00:00+02:00,2026-11-24T18:00:00+02:00,,0
"""

ORDERS = """ref,hub_ref,channel,service_level,window_start,window_end,lat,lon,address,address_type,skills,sku,parcels,weight_kg,volume_l,items
O-1,HEL-1,checkout,next_day,2026-11-24T09:00,2026-11-24T11:00,60.1699,24.9384,Mannerheimintie 1,apartment,,shoe-box,1,1.25,8,
O-2,HEL-1,marketplace,same_day,2026-11-24T16:00:00+02:00,2026-11-24T20:00:00+02:00,60.18,24.95,Kalliolanrinne 3,house,age_check;bulky,,,,,"[{""sku"":""tv"",""count"":1,""weight_kg"":22.5,""volume_l"":180,""description"":""55-inch TV""},{""sku"":""wine"",""count"":2,""weight_kg"":1.4,""volume_l"":1.2}]"
O-3,HEL-1,return,next_day,,,60.19,24.92,Töölönkatu 7,business,,,1,3,20,
"""
