// The city map (OpenLayers, canvas vector layers, no tiles): districts, the
// assets' health (points when zoomed in, one figure per district when zoomed
// out), incidents coloured by priority and crews moving with the live feed.
import OlMap from 'ol/Map';
import View from 'ol/View';
import Feature from 'ol/Feature';
import type { FeatureLike } from 'ol/Feature';
import Point from 'ol/geom/Point';
import Polygon from 'ol/geom/Polygon';
import MultiPolygon from 'ol/geom/MultiPolygon';
import GeoJSON from 'ol/format/GeoJSON';
import VectorLayer from 'ol/layer/Vector';
import VectorSource from 'ol/source/Vector';
import { fromLonLat, toLonLat } from 'ol/proj';
import { Circle, Fill, RegularShape, Stroke, Style, Text } from 'ol/style';
import { defaults as defaultControls } from 'ol/control/defaults';
import ScaleLine from 'ol/control/ScaleLine';

import { ById, Clear, h } from './dom';
import { EnumLabel, PriorityColour, PriorityRank } from './format';
import { CrisisDistricts, FaultyAssetIds, OpenIncidents, Select, state, Subscribe } from './store';
import type { Asset, Crew, GeoPoint, Incident } from './types';

// At this zoom and closer, assets are drawn one by one.
const kPointsZoom = 15;

const districtSource = new VectorSource();
const aggregateSource = new VectorSource();
const assetSource = new VectorSource();
const incidentSource = new VectorSource();
const crewSource = new VectorSource();
const pickSource = new VectorSource();

let map: OlMap | null = null;
let faulty = new Set<string>();

function Coord(p: GeoPoint | undefined): number[] | null {
  if (!p || p.lat === undefined || p.lon === undefined) return null;
  if (!Number.isFinite(p.lat) || !Number.isFinite(p.lon)) return null;
  return fromLonLat([p.lon, p.lat]);
}

// ---- styles ---------------------------------------------------------------

// Districts under a crisis: red while it is active, dashed yellow while proposed.
let crisisDistricts = new Map<number, 'active' | 'proposed'>();
const kDistrictLook = {
  none: { fill: 'rgba(40, 52, 70, 0.55)', stroke: '#5b6e8a', width: 1.2, dash: undefined as number[] | undefined },
  active: { fill: 'rgba(255, 69, 58, 0.30)', stroke: '#ff453a', width: 3, dash: undefined as number[] | undefined },
  proposed: { fill: 'rgba(255, 214, 10, 0.16)', stroke: '#ffd60a', width: 2.5, dash: [8, 6] },
};

function DistrictStyle(feature: FeatureLike, resolution: number): Style {
  const look = kDistrictLook[crisisDistricts.get(Number(feature.getId())) ?? 'none'];
  return new Style({
    fill: new Fill({ color: look.fill }),
    stroke: new Stroke({ color: look.stroke, width: look.width, lineDash: look.dash }),
    text:
      resolution < 40
        ? new Text({
            text: String(feature.get('name') ?? ''),
            font: '600 12px system-ui, sans-serif',
            fill: new Fill({ color: '#9fb3cc' }),
            stroke: new Stroke({ color: '#0d1117', width: 3 }),
            overflow: true,
            offsetY: resolution < 8 ? 0 : -22,
          })
        : undefined,
  });
}

function ShareColour(share: number): string {
  if (share <= 0) return '#30d158';
  if (share < 0.02) return '#c9e265';
  if (share < 0.05) return '#ffd60a';
  if (share < 0.15) return '#ff9500';
  return '#ff3b30';
}

function AggregateStyle(feature: FeatureLike): Style {
  const count = Number(feature.get('count') ?? 0);
  const bad = Number(feature.get('faulty') ?? 0);
  const share = count ? bad / count : 0;
  const radius = 9 + Math.min(14, Math.sqrt(count) / 5);
  return new Style({
    image: new Circle({
      radius,
      fill: new Fill({ color: ShareColour(share) + 'cc' }),
      stroke: new Stroke({ color: '#0d1117', width: 2 }),
    }),
    text: new Text({
      text: state.assetsComplete || count ? `${count}\n${bad} faulty` : '…',
      font: '600 10px system-ui, sans-serif',
      fill: new Fill({ color: '#f2f5f8' }),
      stroke: new Stroke({ color: '#0d1117', width: 3 }),
      offsetY: radius + 14,
    }),
  });
}

const kAssetOk = new Style({
  image: new Circle({ radius: 2.5, fill: new Fill({ color: '#3fa877' }) }),
});
const kAssetOkParent = new Style({
  image: new RegularShape({ points: 4, radius: 5, angle: Math.PI / 4, fill: new Fill({ color: '#3fa877' }), stroke: new Stroke({ color: '#0d1117', width: 1 }) }),
});
const kAssetFaulty = new Style({
  image: new Circle({ radius: 4, fill: new Fill({ color: '#ff453a' }), stroke: new Stroke({ color: '#0d1117', width: 1 }) }),
  zIndex: 2,
});
const kAssetFaultyParent = new Style({
  image: new RegularShape({ points: 4, radius: 7, angle: Math.PI / 4, fill: new Fill({ color: '#ff453a' }), stroke: new Stroke({ color: '#fff', width: 1 }) }),
  zIndex: 3,
});

function AssetStyle(feature: FeatureLike): Style {
  const bad = faulty.has(String(feature.getId()));
  const parent = !feature.get('parentId');
  if (bad) return parent ? kAssetFaultyParent : kAssetFaulty;
  return parent ? kAssetOkParent : kAssetOk;
}

const incidentStyles = new Map<string, Style>();
function IncidentStyle(feature: FeatureLike): Style {
  const priority = String(feature.get('priority') ?? '');
  const selected = feature.getId() === state.selectedIncidentId;
  const acknowledged = feature.get('status') === 'INCIDENT_STATUS_ACKNOWLEDGED';
  const key = `${priority}|${selected}|${acknowledged}`;
  let style = incidentStyles.get(key);
  if (!style) {
    style = new Style({
      image: new RegularShape({
        points: 3,
        radius: selected ? 13 : 10,
        fill: new Fill({ color: PriorityColour(priority) }),
        stroke: new Stroke({ color: selected ? '#ffffff' : acknowledged ? '#8e8e93' : '#0d1117', width: selected ? 3 : 2 }),
      }),
      zIndex: 10 + PriorityRank(priority) + (selected ? 10 : 0),
    });
    incidentStyles.set(key, style);
  }
  return style;
}

const kCrewColour: Record<string, string> = {
  CREW_STATUS_AVAILABLE: '#30d158',
  CREW_STATUS_EN_ROUTE: '#64d2ff',
  CREW_STATUS_ON_SITE: '#bf5af2',
  CREW_STATUS_OFF_DUTY: '#636366',
};

function CrewStyle(feature: FeatureLike, resolution: number): Style {
  const status = String(feature.get('status') ?? '');
  return new Style({
    image: new RegularShape({
      points: 4,
      radius: 8,
      angle: Math.PI / 4,
      fill: new Fill({ color: kCrewColour[status] ?? '#8e8e93' }),
      stroke: new Stroke({ color: '#0d1117', width: 2 }),
    }),
    text:
      resolution < 12
        ? new Text({
            text: String(feature.get('name') ?? ''),
            font: '11px system-ui, sans-serif',
            fill: new Fill({ color: '#e5e5ea' }),
            stroke: new Stroke({ color: '#0d1117', width: 3 }),
            offsetY: -15,
          })
        : undefined,
    zIndex: 30,
  });
}

const kPickStyle = new Style({
  image: new Circle({ radius: 8, fill: new Fill({ color: '#ffffff44' }), stroke: new Stroke({ color: '#ffffff', width: 2 }) }),
});

// ---- drawing state --------------------------------------------------------

function DrawDistricts(): void {
  const collection = state.districts;
  if (!collection) return;
  const features = new GeoJSON().readFeatures(collection, { dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });
  const aggregates: Feature[] = [];
  for (const f of features) {
    const number = Number(f.get('district') ?? f.get('id') ?? 0);
    f.setId(number);
    const geometry = f.getGeometry();
    let centre: number[] | null = null;
    if (geometry instanceof Polygon) centre = geometry.getInteriorPoint().getCoordinates().slice(0, 2);
    else if (geometry instanceof MultiPolygon) centre = geometry.getInteriorPoints().getCoordinates()[0]?.slice(0, 2) ?? null;
    if (centre) {
      const a = new Feature({ geometry: new Point(centre), district: number, count: 0, faulty: 0 });
      a.setId(number);
      aggregates.push(a);
    }
  }
  districtSource.clear();
  districtSource.addFeatures(features);
  aggregateSource.clear();
  aggregateSource.addFeatures(aggregates);
  const extent = districtSource.getExtent();
  if (map && features.length && extent) {
    map.getView().fit(extent, { padding: [20, 20, 20, 20] });
  }
  UpdateAggregates();
}

let aggregateTimer = 0;
function UpdateAggregates(): void {
  window.clearTimeout(aggregateTimer);
  aggregateTimer = window.setTimeout(() => {
    const counts = new Map<number, { count: number; faulty: number }>();
    for (const asset of state.assets.values()) {
      const d = asset.district ?? 0;
      let c = counts.get(d);
      if (!c) counts.set(d, (c = { count: 0, faulty: 0 }));
      c.count++;
      if (faulty.has(asset.id)) c.faulty++;
    }
    for (const f of aggregateSource.getFeatures()) {
      const c = counts.get(Number(f.getId())) ?? { count: 0, faulty: 0 };
      f.setProperties({ count: c.count, faulty: c.faulty });
    }
  }, 100);
}

// New assets from a page of GET /api/v1/assets.
export function AddAssets(assets: Asset[]): void {
  const features: Feature[] = [];
  for (const a of assets) {
    const c = Coord(a.location);
    if (!c || a.kind === 'ASSET_KIND_CREW_VEHICLE' || a.kind === 'ASSET_KIND_BUS') continue;
    const f = new Feature({ geometry: new Point(c), parentId: a.parentId ?? '' });
    f.setId(a.id);
    if (!assetSource.getFeatureById(a.id)) features.push(f);
  }
  assetSource.addFeatures(features);
  UpdateAggregates();
}

export function ClearAssets(): void {
  assetSource.clear();
  UpdateAggregates();
}

function IncidentPoint(incident: Incident): number[] | null {
  return Coord(incident.location) ?? Coord(state.assets.get(incident.assetId ?? '')?.location) ?? Coord(incident.symptoms?.[0]?.location);
}

function DrawIncidents(): void {
  const open = OpenIncidents();
  const seen = new Set<string>();
  for (const incident of open) {
    const c = IncidentPoint(incident);
    if (!c) continue;
    seen.add(incident.id);
    let f = incidentSource.getFeatureById(incident.id) as Feature | null;
    if (!f) {
      f = new Feature({ geometry: new Point(c) });
      f.setId(incident.id);
      incidentSource.addFeature(f);
    } else {
      (f.getGeometry() as Point).setCoordinates(c);
    }
    f.setProperties({ priority: incident.priority, status: incident.status, title: incident.title ?? '' });
  }
  for (const f of incidentSource.getFeatures()) {
    if (!seen.has(String(f.getId()))) incidentSource.removeFeature(f);
  }
  // The ids drawn, for tests and assistive tools.
  const list = ById('map-incidents');
  Clear(list);
  for (const id of [...seen].sort()) list.append(h('li', { 'data-incident-id': id, text: id }));
  list.dataset.count = String(seen.size);
  ById('map').dataset.incidentCount = String(seen.size);

  const nextFaulty = FaultyAssetIds();
  if (nextFaulty.size !== faulty.size || [...nextFaulty].some((id) => !faulty.has(id))) {
    faulty = nextFaulty;
    assetLayer?.changed();
    UpdateAggregates();
  }
}

export function CrewPoint(crew: Crew): GeoPoint | undefined {
  return crew.position && crew.position.lat !== undefined ? crew.position : crew.homeBase;
}

function DrawCrews(): void {
  const seen = new Set<string>();
  for (const crew of state.crews.values()) {
    const c = Coord(CrewPoint(crew));
    if (!c) continue;
    seen.add(crew.id);
    let f = crewSource.getFeatureById(crew.id) as Feature | null;
    if (!f) {
      f = new Feature({ geometry: new Point(c) });
      f.setId(crew.id);
      crewSource.addFeature(f);
    } else {
      const point = f.getGeometry() as Point;
      const old = point.getCoordinates();
      if (old[0] !== c[0] || old[1] !== c[1]) point.setCoordinates(c);
    }
    f.setProperties({ status: crew.status, name: crew.name ?? crew.id });
  }
  for (const f of crewSource.getFeatures()) {
    if (!seen.has(String(f.getId()))) crewSource.removeFeature(f);
  }
}

// ---- set-up ---------------------------------------------------------------

let assetLayer: VectorLayer | null = null;
type ClickHandler = (point: GeoPoint) => boolean;
let clickHandler: ClickHandler | null = null;

// While set, a click on the map gives its position to the handler (call intake).
export function OnMapClick(handler: ClickHandler | null): void {
  clickHandler = handler;
  ById('map').classList.toggle('picking', handler !== null);
}

export function ShowPick(point: GeoPoint | null): void {
  pickSource.clear();
  const c = Coord(point ?? undefined);
  if (c) pickSource.addFeature(new Feature({ geometry: new Point(c) }));
}

export function CentreOn(point: GeoPoint | undefined): void {
  const c = Coord(point);
  if (!map || !c) return;
  const view = map.getView();
  view.animate({ center: c, zoom: Math.max(view.getZoom() ?? 14, 15), duration: 400 });
}

function DrawCrisisDistricts(): void {
  crisisDistricts = CrisisDistricts();
  districtSource.changed();
  // For tests and screen readers: the districts under a crisis, and how.
  const list = ById('map-crisis-districts');
  list.replaceChildren(
    ...[...crisisDistricts.entries()].sort((a, b) => a[0] - b[0]).map(([d, kind]) => h('li', { 'data-district': d, 'data-kind': kind, text: `${d} ${kind}` })),
  );
}

function Legend(): HTMLElement {
  const item = (colour: string, label: string, shape: string) =>
    h('span', { class: 'legend-item' }, h('i', { class: `swatch ${shape}`, style: `background:${colour}` }), label);
  return h(
    'div',
    {},
    item(PriorityColour('PRIORITY_CRITICAL'), 'critical', 'tri'),
    item(PriorityColour('PRIORITY_HIGH'), 'high', 'tri'),
    item(PriorityColour('PRIORITY_NORMAL'), 'normal', 'tri'),
    item(PriorityColour('PRIORITY_LOW'), 'low', 'tri'),
    item(kCrewColour['CREW_STATUS_AVAILABLE'] ?? '', 'crew free', 'sq'),
    item(kCrewColour['CREW_STATUS_EN_ROUTE'] ?? '', 'en route', 'sq'),
    item(kCrewColour['CREW_STATUS_ON_SITE'] ?? '', 'on site', 'sq'),
    item('#ff453a', 'faulty asset', 'dot'),
    item('rgba(255, 69, 58, 0.6)', 'crisis district', 'sq-flat'),
  );
}

export function StartMap(): void {
  if (map) {
    DrawDistricts();
    DrawIncidents();
    DrawCrews();
    return;
  }
  const target = ById('map');
  assetLayer = new VectorLayer({ source: assetSource, style: AssetStyle, minZoom: kPointsZoom, updateWhileInteracting: false });
  map = new OlMap({
    target,
    controls: defaultControls({ attribution: false, rotate: false }).extend([new ScaleLine()]),
    layers: [
      new VectorLayer({ source: districtSource, style: DistrictStyle }),
      new VectorLayer({ source: aggregateSource, style: AggregateStyle, maxZoom: kPointsZoom }),
      assetLayer,
      new VectorLayer({ source: crewSource, style: CrewStyle }),
      new VectorLayer({ source: incidentSource, style: IncidentStyle }),
      new VectorLayer({ source: pickSource, style: kPickStyle }),
    ],
    view: new View({ center: fromLonLat([5.04, 47.32]), zoom: 13, minZoom: 10, maxZoom: 20 }),
  });
  ById('map-legend').append(Legend());

  const tip = h('div', { class: 'map-tip', hidden: true });
  target.append(tip);
  map.on('pointermove', (event) => {
    if (event.dragging || !map) return;
    const found = map.forEachFeatureAtPixel(event.pixel, (f, layer) => ({ f, layer }), { hitTolerance: 4 });
    if (!found) {
      tip.hidden = true;
      target.style.cursor = clickHandler ? 'crosshair' : '';
      return;
    }
    const source = found.layer?.getSource();
    const f = found.f;
    let text = '';
    if (source === incidentSource) text = `${EnumLabel(String(f.get('priority')), 'PRIORITY_')} · ${f.get('title') ?? f.getId()}`;
    else if (source === crewSource) text = `${f.get('name')} · ${EnumLabel(String(f.get('status')), 'CREW_STATUS_')}`;
    else if (source === assetSource) {
      const a = state.assets.get(String(f.getId()));
      text = `${f.getId()} · ${EnumLabel(a?.kind, 'ASSET_KIND_')}${faulty.has(String(f.getId())) ? ' · FAULTY' : ''}`;
    } else if (source === aggregateSource) text = `${state.districtNames.get(Number(f.getId())) ?? 'district ' + f.getId()}: ${f.get('count')} assets, ${f.get('faulty')} faulty`;
    else if (source === districtSource) {
      const crisis = crisisDistricts.get(Number(f.getId()));
      text = `${f.get('name')} (district ${f.getId()})${crisis ? ` · crisis ${crisis}` : ''}`;
    }
    tip.textContent = text;
    tip.hidden = !text;
    tip.style.left = `${event.pixel[0] + 14}px`;
    tip.style.top = `${event.pixel[1] + 10}px`;
    target.style.cursor = source === incidentSource || clickHandler ? 'pointer' : '';
  });
  map.on('singleclick', (event) => {
    if (!map) return;
    if (clickHandler) {
      const [lon, lat] = toLonLat(event.coordinate);
      if (clickHandler({ lat, lon })) return;
    }
    const hit = map.forEachFeatureAtPixel(event.pixel, (f, layer) => (layer?.getSource() === incidentSource ? f : undefined), {
      hitTolerance: 5,
    });
    if (hit) Select(String(hit.getId()));
  });
  map.once('rendercomplete', () => {
    target.dataset.ready = state.districts ? 'true' : 'false';
  });
  map.on('rendercomplete', () => {
    if (state.districts && districtSource.getFeatures().length) target.dataset.ready = 'true';
  });

  Subscribe('districts', DrawDistricts);
  Subscribe('crises', DrawCrisisDistricts);
  Subscribe('incidents', DrawIncidents);
  Subscribe('selection', () => {
    incidentSource.changed();
    const incident = state.incidents.get(state.selectedIncidentId ?? '');
    if (incident) {
      const c = IncidentPoint(incident);
      if (c && map) {
        const extent = map.getView().calculateExtent(map.getSize());
        const inside = c[0]! >= extent[0]! && c[0]! <= extent[2]! && c[1]! >= extent[1]! && c[1]! <= extent[3]!;
        if (!inside) map.getView().animate({ center: c, duration: 300 });
      }
    }
  });
  Subscribe('crews', DrawCrews);
  Subscribe('assets', () => UpdateAggregates());
  DrawDistricts();
  DrawCrisisDistricts();
  DrawIncidents();
  DrawCrews();
}

export function ResizeMap(): void {
  map?.updateSize();
}
