// Map symbols drawn on a canvas at start-up (compiled into the app, no sprite server):
// a shape per hazard kind coloured by risk, a shelter house, a key-place diamond and the
// overdue mark. The legends draw the same canvases, so map and legend cannot disagree.

export const RISK_COLORS = { 红: '#d7191c', 橙: '#fd8d3c', 黄: '#fecc5c', 蓝: '#2c7bb6' };

/** Shape per hazard kind (geological kinds by how they move, waterlogging as a drop). */
export const HAZARD_SHAPES = {
  滑坡: 'triangle', 崩塌: 'diamond', 泥石流: 'wave', 地面塌陷: 'ring', 不稳定斜坡: 'square',
  内涝积水点: 'drop', 堤防险段: 'bar', '危房/自建房': 'house', 危化品: 'hexagon',
};
export const OTHER_SHAPE = 'hexagon';

/** A mark per incident category, drawn small and white on the status-coloured dot. */
export const CATEGORY_SHAPES = {
  邻里纠纷: 'ring', 婚姻家庭: 'house', 土地山林: 'triangle', 物业管理: 'square', 劳资纠纷: 'bar',
  征地拆迁: 'diamond', 环境污染: 'drop', 治安隐患: 'hexagon', 安全隐患: 'wave', 民生诉求: 'dot',
};

const SIZE = 30; // px at pixelRatio 2, shown at 15 px

function path(ctx, shape, s) {
  const c = s / 2;
  const r = s * 0.42;
  ctx.beginPath();
  switch (shape) {
    case 'triangle': ctx.moveTo(c, c - r); ctx.lineTo(c + r, c + r * 0.8); ctx.lineTo(c - r, c + r * 0.8); break;
    case 'diamond': ctx.moveTo(c, c - r); ctx.lineTo(c + r, c); ctx.lineTo(c, c + r); ctx.lineTo(c - r, c); break;
    case 'square': ctx.rect(c - r * 0.8, c - r * 0.8, r * 1.6, r * 1.6); break;
    case 'ring': ctx.arc(c, c, r, 0, Math.PI * 2); break;
    case 'drop': ctx.moveTo(c, c - r); ctx.bezierCurveTo(c + r, c, c + r * 0.8, c + r, c, c + r);
      ctx.bezierCurveTo(c - r * 0.8, c + r, c - r, c, c, c - r); break;
    case 'wave': ctx.moveTo(c - r, c + r * 0.7); ctx.lineTo(c - r * 0.3, c - r); ctx.lineTo(c + r * 0.1, c - r * 0.1);
      ctx.lineTo(c + r * 0.5, c - r * 0.6); ctx.lineTo(c + r, c + r * 0.7); break;
    case 'bar': ctx.rect(c - r, c - r * 0.45, r * 2, r * 0.9); break;
    case 'dot': ctx.arc(c, c, r * 0.55, 0, Math.PI * 2); break;
    case 'house': ctx.moveTo(c, c - r); ctx.lineTo(c + r, c - r * 0.1); ctx.lineTo(c + r * 0.7, c - r * 0.1);
      ctx.lineTo(c + r * 0.7, c + r * 0.8); ctx.lineTo(c - r * 0.7, c + r * 0.8); ctx.lineTo(c - r * 0.7, c - r * 0.1);
      ctx.lineTo(c - r, c - r * 0.1); break;
    default: for (let i = 0; i < 6; i++) { const a = Math.PI / 3 * i; ctx[i ? 'lineTo' : 'moveTo'](c + r * Math.cos(a), c + r * Math.sin(a)); }
  }
  ctx.closePath();
}

/** A canvas of one symbol: shape, fill, stroke and an optional white mark inside. */
export function iconCanvas(shape, fill, { stroke = '#ffffff', mark = null, size = SIZE } = {}) {
  const cv = document.createElement('canvas');
  cv.width = size; cv.height = size;
  const ctx = cv.getContext('2d');
  ctx.lineJoin = 'round';
  path(ctx, shape, size);
  ctx.fillStyle = fill; ctx.fill();
  ctx.lineWidth = size / 10; ctx.strokeStyle = stroke; ctx.stroke();
  if (mark === 'cross') { // shelter: a white cross-bar house door
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(size * 0.42, size * 0.5, size * 0.16, size * 0.28);
  } else if (mark === 'dot') {
    ctx.fillStyle = '#ffffff'; ctx.beginPath(); ctx.arc(size / 2, size / 2, size * 0.1, 0, Math.PI * 2); ctx.fill();
  } else if (mark === 'bang') {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(size * 0.44, size * 0.22, size * 0.12, size * 0.36);
    ctx.fillRect(size * 0.44, size * 0.64, size * 0.12, size * 0.12);
  }
  return cv;
}

export const hazardIcon = (kind, risk) => `hz-${HAZARD_SHAPES[kind] || OTHER_SHAPE}-${risk in RISK_COLORS ? risk : 'x'}`;

export const SHELTER_COLOR = '#1a9850';
export const PLACE_COLOR = '#8856a7';
export const OVERDUE_COLOR = '#b10026';

/** Registers every symbol with the map (pixelRatio 2 keeps them sharp on phones). */
export function addIcons(map) {
  const add = (name, cv) => {
    if (map.hasImage(name)) return;
    const data = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height);
    map.addImage(name, { width: cv.width, height: cv.height, data: new Uint8Array(data.data.buffer) }, { pixelRatio: 2 });
  };
  const shapes = new Set([...Object.values(HAZARD_SHAPES), OTHER_SHAPE]);
  for (const shape of shapes) {
    for (const [risk, color] of Object.entries(RISK_COLORS)) add(`hz-${shape}-${risk}`, iconCanvas(shape, color));
    add(`hz-${shape}-x`, iconCanvas(shape, '#888888'));
  }
  add('shelter', iconCanvas('house', SHELTER_COLOR, { mark: 'cross', size: 34 }));
  add('place', iconCanvas('diamond', PLACE_COLOR, { mark: 'dot', size: 24 }));
  add('overdue', iconCanvas('ring', OVERDUE_COLOR, { stroke: '#000000', mark: 'bang', size: 34 }));
  for (const shape of new Set(Object.values(CATEGORY_SHAPES))) {
    add(`cat-${shape}`, iconCanvas(shape, '#ffffff', { stroke: '#333333', size: 16 }));
  }
}
