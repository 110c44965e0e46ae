#!/usr/bin/env python3
"""Generates districts.geojson: the 24 districts of the simulated city.

Deterministic (fixed tables, no randomness), standard library only, no
network. The districts are the Voronoi cells of 24 fixed seed points, clipped
to a convex city outline (an irregular 20-gon around Dijon's centre, 47.322 N
5.041 E), so that they tile it: no overlap, no gap. They are approximations
for the simulated city, labelled after Dijon's neighbourhoods, not the
official boundaries.

Usage: python3 make_districts.py [output]   (default: districts.geojson beside this script)
"""

import math
import os
import sys

CENTRE_LAT = 47.322
CENTRE_LON = 5.041
# Kilometres per degree around the centre (the geometry is built in a local
# metric frame, x east, y north, then mapped back to degrees).
KM_PER_DEG_LAT = 111.2
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CENTRE_LAT))

# The outline: 20 vertices, one every 18 degrees clockwise from north (with a
# twist), on an egg of semi-axes north/south/east/west (km) scaled by these
# factors. It stays inside lat 47.29..47.36, lon 4.99..5.09.
OUTLINE_SEMI_AXES = {"north": 4.05, "south": 3.40, "east": 3.55, "west": 3.70}
OUTLINE_TWIST_DEG = [3, -4, 2, 5, -2, 4, -5, 1, 3, -3, 5, -1, -4, 2, 4, -2, 1, -5, 3, 0]
OUTLINE_FACTORS = [0.99, 0.96, 0.99, 0.97, 0.98, 1.00, 0.98, 0.98, 0.99, 0.96,
                   0.98, 0.96, 0.95, 0.98, 1.00, 0.98, 0.99, 0.96, 0.98, 0.97]

# The seeds: (id, name, bearing in degrees clockwise from north, distance in
# km from the centre). District 1 is the centre; 2..8 the inner ring, 9..24
# the outer ring, each clockwise from north.
SEEDS = [
    (1, "Centre-Ville", 40, 0.15),
    (2, "Jouvence", 2, 1.55),
    (3, "Clemenceau", 53, 1.45),
    (4, "Montmuzard", 101, 1.70),
    (5, "Mansart", 152, 1.55),
    (6, "Tivoli", 203, 1.50),
    (7, "Faubourg Raines", 249, 1.45),
    (8, "Victor Hugo", 309, 1.50),
    (9, "Toison d'Or", 4, 3.30),
    (10, "Drapeau", 24, 2.95),
    (11, "Grésilles", 49, 3.25),
    (12, "Maladière", 74, 3.05),
    (13, "Université", 87, 2.75),
    (14, "Mirande", 111, 2.75),
    (15, "Chevreul", 130, 2.60),
    (16, "Varennes", 158, 2.75),
    (17, "Valendons", 181, 2.75),
    (18, "Bourroches", 203, 2.90),
    (19, "Port du Canal", 223, 2.60),
    (20, "Motte-Giron", 246, 3.05),
    (21, "Fontaine d'Ouche", 270, 2.90),
    (22, "Larrey", 292, 3.10),
    (23, "Montchapet", 310, 2.80),
    (24, "Pouilly", 339, 3.20),
]

# Vertices of different cells closer than this (km) are one vertex (they are
# the same point computed twice).
SNAP_KM = 1e-7
# No edge shorter than this (km): the seeds are placed so that no three cells
# nearly meet in a point and no cell is a sliver.
MIN_EDGE_KM = 0.1


def polar(bearing_deg, distance_km):
    b = math.radians(bearing_deg)
    return (distance_km * math.sin(b), distance_km * math.cos(b))


def cross(o, a, b):
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def signed_area(ring):
    """Shoelace area of an open ring (positive when counter-clockwise)."""
    s = 0.0
    for i, p in enumerate(ring):
        q = ring[(i + 1) % len(ring)]
        s += p[0] * q[1] - q[0] * p[1]
    return s / 2


def convex_hull(points):
    """Andrew's monotone chain, counter-clockwise, no collinear points."""
    pts = sorted(set(points))
    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def outline():
    points = []
    for k in range(20):
        bearing = 18 * k + OUTLINE_TWIST_DEG[k]
        x, y = math.sin(math.radians(bearing)), math.cos(math.radians(bearing))
        rx = OUTLINE_SEMI_AXES["east"] if x > 0 else OUTLINE_SEMI_AXES["west"]
        ry = OUTLINE_SEMI_AXES["north"] if y > 0 else OUTLINE_SEMI_AXES["south"]
        r = 1 / math.sqrt((x / rx) ** 2 + (y / ry) ** 2) * OUTLINE_FACTORS[k]
        points.append((r * x, r * y))
    hull = convex_hull(points)
    if len(hull) < 18:
        sys.exit(f"outline: only {len(hull)} vertices on the hull")
    return hull


def clip(polygon, a, b, c):
    """Sutherland-Hodgman: the part of `polygon` where a*x + b*y <= c."""
    out = []
    for i, p in enumerate(polygon):
        q = polygon[(i + 1) % len(polygon)]
        fp = a * p[0] + b * p[1] - c
        fq = a * q[0] + b * q[1] - c
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def point_in_convex(polygon, p):
    return all(cross(polygon[i], polygon[(i + 1) % len(polygon)], p) > 0 for i in range(len(polygon)))


def voronoi_cells(boundary, seeds):
    cells = []
    for i, si in enumerate(seeds):
        cell = list(boundary)
        for j, sj in enumerate(seeds):
            if i == j:
                continue
            # Closer to si than to sj: (sj - si) . p <= (|sj|^2 - |si|^2) / 2.
            a, b = sj[0] - si[0], sj[1] - si[1]
            c = (sj[0] ** 2 + sj[1] ** 2 - si[0] ** 2 - si[1] ** 2) / 2
            cell = clip(cell, a, b, c)
        if len(cell) < 3:
            sys.exit(f"seed {i + 1}: empty cell")
        cells.append(cell)
    return cells


def to_degrees(p):
    lon = round(CENTRE_LON + p[0] / KM_PER_DEG_LON, 6)
    lat = round(CENTRE_LAT + p[1] / KM_PER_DEG_LAT, 6)
    return (lon, lat)


def snap_and_round(cells):
    """One rounded vertex for the same point computed in several cells."""
    canonical = []  # (km point, rounded degrees)
    out = []
    for cell in cells:
        ring = []
        for p in cell:
            match = next((d for k, d in canonical if math.dist(k, p) < SNAP_KM), None)
            if match is None:
                match = to_degrees(p)
                canonical.append((p, match))
            if not ring or ring[-1] != match:
                ring.append(match)
        while len(ring) > 1 and ring[0] == ring[-1]:
            ring.pop()
        out.append(ring)
    return out


def check(boundary, seeds, rings):
    """The tiling holds: shared edges match exactly, the rest lies on the outline, areas add up."""
    edges = {}
    for n, ring in enumerate(rings):
        if signed_area(ring) <= 0:
            sys.exit(f"district {n + 1}: not counter-clockwise")
        for i, p in enumerate(ring):
            q = ring[(i + 1) % len(ring)]
            km = math.hypot((q[0] - p[0]) * KM_PER_DEG_LON, (q[1] - p[1]) * KM_PER_DEG_LAT)
            if km < MIN_EDGE_KM:
                sys.exit(f"district {n + 1}: edge of {km * 1000:.1f} m")
            if (p, q) in edges:
                sys.exit(f"district {n + 1}: edge {p} -> {q} twice")
            edges[(p, q)] = n
    outline_deg = [to_degrees(p) for p in boundary]
    for (p, q), n in edges.items():
        if (q, p) in edges:
            continue
        # Unshared: on an outline edge (within rounding).
        on = False
        for i, a in enumerate(outline_deg):
            b = outline_deg[(i + 1) % len(outline_deg)]
            length = math.dist(a, b)
            if abs(cross(a, b, p)) / length < 2e-6 and abs(cross(a, b, q)) / length < 2e-6:
                on = True
        if not on:
            sys.exit(f"district {n + 1}: edge {p} -> {q} neither shared nor on the outline")
    total = sum(signed_area(r) for r in rings)
    whole = signed_area(outline_deg)
    # Only the rounding of the points where cells meet the outline differs.
    if abs(total - whole) > 1e-5 * whole:
        sys.exit(f"areas: districts {total} != outline {whole}")
    for n, s in enumerate(seeds):
        if not point_in_convex(boundary, s):
            sys.exit(f"seed {n + 1} outside the outline")


def write(path, rings):
    lines = ['{', '  "type": "FeatureCollection",', '  "features": [']
    for n, (ring, (ident, name, _, _)) in enumerate(zip(rings, SEEDS)):
        closed = ring + [ring[0]]
        coords = ", ".join(f"[{lon:.6f}, {lat:.6f}]" for lon, lat in closed)
        sep = "," if n + 1 < len(rings) else ""
        name_json = name.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'    {{"type": "Feature", "properties": {{"id": {ident}, "name": "{name_json}"}}, '
                     f'"geometry": {{"type": "Polygon", "coordinates": [[{coords}]]}}}}{sep}')
    lines += ['  ]', '}', '']
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "districts.geojson")
    if [s[0] for s in SEEDS] != list(range(1, 25)):
        sys.exit("seeds: ids must be 1..24 in order")
    boundary = outline()
    seeds = [polar(bearing, km) for _, _, bearing, km in SEEDS]
    rings = snap_and_round(voronoi_cells(boundary, seeds))
    check(boundary, seeds, rings)
    write(path, rings)
    lats = [p[1] for r in rings for p in r]
    lons = [p[0] for r in rings for p in r]
    print(f"{path}: {len(rings)} districts, lat {min(lats)}..{max(lats)}, lon {min(lons)}..{max(lons)}")


if __name__ == "__main__":
    main()
