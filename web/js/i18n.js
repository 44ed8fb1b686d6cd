// Chinese by default, English on request (中/EN). The choice is kept in localStorage.

const zh = {
  'app.title': '民情地图',
  'app.attribution': '边界示意，非审图号地图 · 演示数据均为合成',
  'view.general': '综合地图', 'view.wall': '指挥大屏', 'view.grid': '我的网格', 'view.flood': '防汛',
  'lang.toggle': '中/EN',
  'login': '登录', 'logout': '退出', 'login.title': '登录', 'login.username': '用户名',
  'login.password': '密码', 'login.submit': '登录', 'login.cancel': '取消', 'login.failed': '登录失败',
  'login.needed': '此页面需要登录', 'login.hint': '演示账号：zhihui（指挥中心）、wangge（网格员）、fangxun（防汛），密码 minqing-demo',
  'login.ok': '已登录', 'logout.ok': '已退出',
  'search.placeholder': '搜索地名、编码、隐患点、网格员（可用拼音首字母）', 'search.none': '未找到', 'search.go': '搜索',
  'panel.layers': '图层', 'panel.legend': '图例', 'panel.toggle': '图层',
  'layer.grids': '网格', 'layer.hazards': '隐患点', 'layer.shelters': '避难场所', 'layer.places': '重点场所',
  'layer.incidents': '事件', 'layer.people': '重点人群（统计）', 'layer.patrol': '巡查覆盖',
  'layer.heatmap': '事件热力图', 'layer.needsLogin': '（登录后可见）', 'count.hidden': '不公开', 'layer.notForRole': '（本账号无权查看）',
  'level.district': '区', 'level.street': '街道/镇', 'level.community': '村/社区', 'level.grid': '网格',
  'f.code': '编码', 'f.name': '名称', 'f.level': '层级', 'f.parent': '上级', 'f.head': '网格员',
  'f.phone': '电话', 'f.households': '户数', 'f.residents': '人口', 'f.kind': '类型', 'f.risk': '风险等级',
  'f.threatened_households': '威胁户数', 'f.threatened_persons': '威胁人数', 'f.grid': '所属网格',
  'f.status': '状态', 'f.capacity': '容纳人数', 'f.visit_every_hours': '巡查周期（小时）',
  'f.category': '类别', 'f.reported_at': '上报时间', 'f.deadline': '办理时限', 'f.overdue': '超期',
  'f.count': '人数', 'f.coverage': '近7日覆盖率', 'f.member': '巡查员', 'f.distance': '距离',
  'f.id': '编号', 'f.description': '描述', 'f.ancestors': '所属', 'f.monitor': '监测人', 'f.leader': '责任人',
  'yes': '是', 'no': '否',
  'legend.risk': '隐患风险', 'legend.status': '事件状态', 'legend.category': '事件类别（点上标记）', 'legend.coverage': '巡查覆盖率',
  'legend.cluster': '事件聚合（数字为件数，红色含超期）', 'legend.people': '人数', 'legend.overdue': '超期',
  'legend.track': '巡查轨迹', 'legend.missed': '漏巡场所',
  'kpi.open': '未结事件', 'kpi.overdue': '超期事件', 'kpi.today': '今日新增', 'kpi.red': '红色隐患点',
  'kpi.coverage': '巡查覆盖率', 'feed.title': '实时事件', 'feed.empty': '等待新事件…',
  'feed.new': '新上报', 'feed.connected': '实时连接已建立', 'feed.lost': '实时连接中断，正在重连…',
  'grid.mine': '我的网格', 'grid.hazards': '隐患', 'grid.people': '人员', 'grid.incidents': '事件',
  'grid.report': '上报', 'grid.none': '暂无', 'grid.tapToReport': '点击地图选择位置后上报事件',
  'grid.patrol': '巡查', 'grid.missed': '漏巡场所', 'grid.coverage': '近7日覆盖率', 'grid.timeLeft': '剩余', 'grid.overdueBy': '已超期', 'grid.noArea': '账号未分配区域',
  'report.title': '上报事件', 'report.category': '事件类别', 'report.description': '情况描述',
  'report.location': '位置', 'report.submit': '提交', 'report.cancel': '取消', 'report.ok': '事件已上报',
  'report.photos': '照片（最多 9 张）', 'report.needCategory': '请选择类别', 'report.needDescription': '请填写描述',
  'flood.tools': '划定范围', 'flood.polygon': '画多边形', 'flood.radius': '画圆（半径）',
  'flood.nearest': '最近隐患点', 'flood.clear': '清除', 'flood.finish': '完成',
  'flood.radiusKm': '半径（公里）', 'flood.hintPolygon': '依次点击地图添加顶点，点击起点、双击或按回车完成，Esc 取消',
  'flood.hintRadius': '点击圆心，移动鼠标后再次点击确定半径（或输入半径后点击圆心）',
  'flood.hintNearest': '点击地图上一个位置', 'flood.risks': '按风险等级显示',
  'flood.result': '范围内统计', 'flood.hazards': '隐患点', 'flood.shelters': '避难场所',
  'flood.incidents': '事件', 'flood.people': '重点人员', 'flood.households': '受威胁户数',
  'flood.persons': '受威胁人数', 'flood.capacity': '可容纳', 'flood.export': '导出 CSV',
  'flood.print': '打印', 'flood.empty': '请先在地图上划定范围', 'flood.querying': '查询中…',
  'flood.nearestTitle': '最近隐患点',
  'err.network': '网络错误', 'err.server': '服务出错',
  'err.bad_request': '请求有误', 'err.bad_parameter': '参数有误', 'err.missing_parameter': '缺少必填参数',
  'err.unauthorized': '请先登录', 'err.forbidden': '本账号无权进行此操作', 'err.not_found': '未找到',
  'err.conflict': '记录已被他人修改，请刷新后重试', 'err.too_large': '内容过大', 'err.rate_limited': '操作过于频繁，请稍后再试',
  'err.unavailable': '服务正在启动，请稍后再试', 'err.busy': '服务繁忙，请稍后再试', 'err.timeout': '请求超时',
  'err.internal': '服务出错', 'err.bad_geojson': '范围图形无效', 'err.bad_tile': '瓦片地址无效',
  'err.area_required': '该角色需要指定区域', 'err.unprocessable': '有数据行未通过校验',
  'kind.area': '区域', 'kind.hazard': '隐患点', 'kind.shelter': '避难场所', 'kind.place': '重点场所',
  'kind.head': '网格员', 'kind.incident': '事件',
  'legend.kind': '隐患类型', 'legend.placesNote': '本身是隐患点或避难场所的重点场所只画一次', 'legend.heat': '稀疏 → 密集',
  'map.label': '地图', 'map.zoomIn': '放大', 'map.zoomOut': '缩小', 'map.attribution': '显示或隐藏数据来源', 'base.offline': '离线底图', 'base.file': '本地底图', 'base.xyz': '外部瓦片底图',
  'unit.m': '米', 'unit.km': '公里', 'unit.h': '小时', 'unit.d': '天', 'unit.min': '分钟',
  'total': '合计',
  'warn.title': '预警', 'warn.list': '预警区', 'warn.none': '暂无预警', 'warn.issueTitle': '发布预警',
  'warn.name': '预警名称', 'warn.level': '预警级别', 'warn.kind': '灾害类型', 'warn.until': '有效期至',
  'warn.issue': '发布预警', 'warn.issued': '预警已发布', 'warn.needName': '请填写预警名称', 'warn.needArea': '请先在地图上划定预警范围',
  'warn.badUntil': '有效期须晚于现在',
  'warn.status.active': '生效中', 'warn.status.lifted': '已解除', 'warn.status.expired': '已过期',
  'warn.calls': '呼叫名单', 'warn.callsHint': '未查看预警的网格长排在最前', 'warn.order': '序号', 'warn.role': '角色', 'warn.for': '对应隐患点/网格',
  'warn.shortfall': '{short} 人无安置位置：需转移 {persons} 人，安置容量 {capacity} 个，缺口 {short} 人',
  'warn.enough': '安置容量充足：需转移 {persons} 人，容量 {capacity} 个',
  'warn.seenShare': '网格长已查看', 'warn.confirmedShare': '隐患已核查',
  'warn.hazards': '范围内隐患点（按风险）', 'warn.confirmed': '已核查', 'warn.unconfirmed': '未核查', 'warn.shelter': '安置点',
  'warn.sheltersInside': '范围内避难场所', 'warn.sheltersOutside': '范围外最近避难场所', 'warn.grids': '涉及网格',
  'warn.seen': '已查看', 'warn.unseen': '未查看', 'warn.people': '重点人员（需逐一核查）', 'warn.address': '地址',
  'warn.extend': '延长', 'warn.lift': '解除预警', 'warn.lifted': '预警已解除', 'warn.extended': '有效期已延长',
  'warn.liftConfirm': '确定解除该预警？', 'warn.close': '关闭',
  'warn.callsCsv': '呼叫名单 CSV', 'warn.callsXlsx': '呼叫名单 Excel', 'warn.cap': 'CAP 预警报文',
  'warn.printed': '打印时间', 'warn.area': '预警范围', 'warn.filtered': '已按风险等级筛选',
  'warn.check': '已核查', 'warn.checkHazards': '需核查的隐患点', 'warn.checkPeople': '需核查的人员',
  'warn.incidents': '范围内未结事件', 'warn.persons': '人',
  'case.close': '关闭', 'case.source': '来源', 'case.grid': '所属网格', 'case.fallback': '区兜底队列', 'case.place': '社区/街道',
  'case.duplicateOf': '重复于', 'case.photos': '照片', 'case.photo': '照片', 'case.addPhoto': '添加照片', 'case.photoAdded': '照片已上传',
  'case.noSteps': '本账号当前无可办理的步骤', 'case.note': '办理意见/说明', 'case.rating': '满意度', 'case.stars': '分',
  'case.steps': '办理', 'case.needNote': '此步骤需要填写说明', 'case.needRating': '请选择满意度',
  'case.duplicates': '可能重复的事件', 'case.linkDuplicate': '合并为重复', 'case.history': '办理过程', 'case.photoUnit': '张', 'case.open': '详情',
  'step.report': '上报', 'step.accept': '受理', 'step.reject': '不予受理', 'step.dispatch': '派遣', 'step.start': '处置',
  'step.resolve': '办结', 'step.verify': '核查', 'step.revisit': '回访', 'step.close': '结案', 'step.escalate': '上报上级',
  'step.link_duplicate': '合并重复', 'step.photo': '添加照片', 'step.import': '导入',
  // Visits (走访), the outbox and patrol recording (issue 16)
  'grid.visits': '走访', 'visit.title': '记录走访', 'visit.record': '走访', 'visit.overdue': '已逾期',
  'visit.today': '今日到期', 'visit.done': '本周已走访', 'visit.overdueDays': '逾期 {n} 天', 'visit.dueToday': '今日到期',
  'visit.risk': '风险', 'visit.riskSame': '风险等级不变', 'visit.riskChange': '风险等级', 'visit.how': '方式',
  'visit.how.入户': '入户', 'visit.how.电话': '电话', 'visit.how.视频': '视频', 'visit.note': '情况记录',
  'visit.ok': '走访已记录',
  'outbox.title': '待发送', 'outbox.waiting': '待发送', 'outbox.failed': '发送失败',
  'outbox.offline': '无网络，联网后自动发送', 'outbox.login': '登录已过期，请重新登录后发送',
  'outbox.retry': '重试', 'outbox.discard': '放弃', 'outbox.saved': '已保存，联网后自动发送',
  'patrol.start': '开始巡查', 'patrol.stop': '结束巡查', 'patrol.recording': '记录中，{n} 个定位点待保存',
  'patrol.hint': '记录巡查轨迹（无网络时先保存在手机上）', 'patrol.noGps': '无法获取定位', 'patrol.batch': '巡查轨迹',
  'report.photos': '照片（可选）',
  'err.idempotency_key_reused': '与先前提交的内容不一致', 'err.report_failed': '所属事件上报失败',
  'err.report_missing': '所属事件已不在待发送列表', 'err.bad_how': '走访方式有误', 'err.bad_time': '时间有误',
  'err.bad_risk': '风险等级须为 0–5', 'err.bad_location': '位置有误', 'err.too_long': '内容过长',
  'err.bad_schedule': '走访周期设置有误',
  'wall.visits': '走访', 'wall.visitsDue': '到期', 'wall.visitsOverdue': '逾期',
};

const en = {
  'app.title': 'Minqing Map',
  'app.attribution': 'Illustrative boundaries, not an approved map · all demo data is synthetic',
  'view.general': 'Map', 'view.wall': 'Wall', 'view.grid': 'My grid', 'view.flood': 'Flood',
  'lang.toggle': '中/EN',
  'login': 'Sign in', 'logout': 'Sign out', 'login.title': 'Sign in', 'login.username': 'User name',
  'login.password': 'Password', 'login.submit': 'Sign in', 'login.cancel': 'Cancel', 'login.failed': 'Sign-in failed',
  'login.needed': 'This view needs a signed-in user', 'login.hint': 'Demo accounts: zhihui (command), wangge (grid head), fangxun (flood); password minqing-demo',
  'login.ok': 'Signed in', 'logout.ok': 'Signed out',
  'search.placeholder': 'Search places, codes, hazards, grid heads (pinyin initials work)', 'search.none': 'Nothing found', 'search.go': 'Search',
  'panel.layers': 'Layers', 'panel.legend': 'Legend', 'panel.toggle': 'Layers',
  'layer.grids': 'Grids', 'layer.hazards': 'Hazards', 'layer.shelters': 'Shelters', 'layer.places': 'Key places',
  'layer.incidents': 'Incidents', 'layer.people': 'Special groups (counts)', 'layer.patrol': 'Patrol coverage',
  'layer.heatmap': 'Incident heatmap', 'layer.needsLogin': ' (sign in to see)', 'count.hidden': 'withheld', 'layer.notForRole': ' (not available to this account)',
  'level.district': 'District', 'level.street': 'Street/town', 'level.community': 'Community', 'level.grid': 'Grid',
  'f.code': 'Code', 'f.name': 'Name', 'f.level': 'Level', 'f.parent': 'Parent', 'f.head': 'Grid head',
  'f.phone': 'Phone', 'f.households': 'Households', 'f.residents': 'Residents', 'f.kind': 'Kind', 'f.risk': 'Risk',
  'f.threatened_households': 'Households at risk', 'f.threatened_persons': 'Persons at risk', 'f.grid': 'Grid',
  'f.status': 'Status', 'f.capacity': 'Capacity', 'f.visit_every_hours': 'Visit every (h)',
  'f.category': 'Category', 'f.reported_at': 'Reported', 'f.deadline': 'Deadline', 'f.overdue': 'Overdue',
  'f.count': 'Count', 'f.coverage': 'Coverage (7 days)', 'f.member': 'Patroller', 'f.distance': 'Distance',
  'f.id': 'Id', 'f.description': 'Description', 'f.ancestors': 'Within', 'f.monitor': 'Monitor', 'f.leader': 'Responsible',
  'yes': 'yes', 'no': 'no',
  'legend.risk': 'Hazard risk', 'legend.status': 'Incident status', 'legend.category': 'Incident category (mark on the dot)', 'legend.coverage': 'Patrol coverage',
  'legend.cluster': 'Incident clusters (count; red has overdue)', 'legend.people': 'Persons', 'legend.overdue': 'Overdue',
  'legend.track': 'Patrol track', 'legend.missed': 'Missed place',
  'kpi.open': 'Open incidents', 'kpi.overdue': 'Overdue', 'kpi.today': 'New today', 'kpi.red': 'Red hazards',
  'kpi.coverage': 'Patrol coverage', 'feed.title': 'Live incidents', 'feed.empty': 'Waiting for new incidents…',
  'feed.new': 'new', 'feed.connected': 'Live feed connected', 'feed.lost': 'Live feed lost, reconnecting…',
  'grid.mine': 'My grid', 'grid.hazards': 'Hazards', 'grid.people': 'People', 'grid.incidents': 'Incidents',
  'grid.report': 'Report', 'grid.none': 'None', 'grid.tapToReport': 'Tap the map to pick a place, then report',
  'grid.patrol': 'Patrol', 'grid.missed': 'Missed places', 'grid.coverage': 'Coverage, 7 days', 'grid.timeLeft': 'left', 'grid.overdueBy': 'overdue by', 'grid.noArea': 'No area assigned to this account',
  'report.title': 'Report an incident', 'report.category': 'Category', 'report.description': 'Description',
  'report.location': 'Location', 'report.submit': 'Submit', 'report.cancel': 'Cancel', 'report.ok': 'Incident reported',
  'report.photos': 'Photos (up to 9)', 'report.needCategory': 'Choose a category', 'report.needDescription': 'Describe the incident',
  'flood.tools': 'Area', 'flood.polygon': 'Draw polygon', 'flood.radius': 'Draw circle',
  'flood.nearest': 'Nearest hazards', 'flood.clear': 'Clear', 'flood.finish': 'Finish',
  'flood.radiusKm': 'Radius (km)', 'flood.hintPolygon': 'Click to add points; click the first point, double-click or press Enter to finish, Esc cancels',
  'flood.hintRadius': 'Click the centre, move, click again to set the radius (or type a radius, then click the centre)',
  'flood.hintNearest': 'Click a place on the map', 'flood.risks': 'Show by risk',
  'flood.result': 'Inside the area', 'flood.hazards': 'Hazards', 'flood.shelters': 'Shelters',
  'flood.incidents': 'Incidents', 'flood.people': 'Persons of concern', 'flood.households': 'Households at risk',
  'flood.persons': 'Persons at risk', 'flood.capacity': 'capacity', 'flood.export': 'Export CSV',
  'flood.print': 'Print', 'flood.empty': 'Draw an area on the map first', 'flood.querying': 'Querying…',
  'flood.nearestTitle': 'Nearest hazards',
  'err.network': 'Network error', 'err.server': 'Server error',
  'err.bad_request': 'Bad request', 'err.bad_parameter': 'A parameter is wrong', 'err.missing_parameter': 'A required parameter is missing',
  'err.unauthorized': 'Please sign in first', 'err.forbidden': 'This account may not do that', 'err.not_found': 'Not found',
  'err.conflict': 'Someone else changed this record; reload and retry', 'err.too_large': 'Too large', 'err.rate_limited': 'Too many attempts; wait a moment',
  'err.unavailable': 'The server is starting; try again shortly', 'err.busy': 'The server is busy; try again shortly', 'err.timeout': 'The request took too long',
  'err.internal': 'Server error', 'err.bad_geojson': 'The drawn area is not valid', 'err.bad_tile': 'Bad tile address',
  'err.area_required': 'This role needs an area', 'err.unprocessable': 'Some rows did not pass the checks',
  'kind.area': 'Area', 'kind.hazard': 'Hazard', 'kind.shelter': 'Shelter', 'kind.place': 'Key place',
  'kind.head': 'Grid head', 'kind.incident': 'Incident',
  'legend.kind': 'Hazard kind', 'legend.placesNote': 'Key places that are a hazard or shelter are drawn once', 'legend.heat': 'sparse → dense',
  'map.label': 'Map', 'map.zoomIn': 'Zoom in', 'map.zoomOut': 'Zoom out', 'map.attribution': 'Show or hide data credits', 'base.offline': 'Offline base map', 'base.file': 'Local base map', 'base.xyz': 'Tile server base map',
  'unit.m': 'm', 'unit.km': 'km', 'unit.h': 'h', 'unit.d': 'd', 'unit.min': 'min',
  'total': 'Total',
  'warn.title': 'Warning', 'warn.list': 'Warnings', 'warn.none': 'No warnings', 'warn.issueTitle': 'Issue a warning',
  'warn.name': 'Name', 'warn.level': 'Level', 'warn.kind': 'Hazard type', 'warn.until': 'Valid until',
  'warn.issue': 'Issue warning', 'warn.issued': 'Warning issued', 'warn.needName': 'Give the warning a name', 'warn.needArea': 'Draw the warning area on the map first',
  'warn.badUntil': 'Valid until must be in the future',
  'warn.status.active': 'active', 'warn.status.lifted': 'lifted', 'warn.status.expired': 'expired',
  'warn.calls': 'Call list', 'warn.callsHint': 'Grid heads who have not seen the warning come first', 'warn.order': 'No.', 'warn.role': 'Role', 'warn.for': 'For hazard/grid',
  'warn.shortfall': '{short} people without a place: {persons} to move, {capacity} places, short by {short}',
  'warn.enough': 'Enough places: {persons} to move, {capacity} places',
  'warn.seenShare': 'Grid heads who saw it', 'warn.confirmedShare': 'Hazards checked',
  'warn.hazards': 'Hazards inside (by risk)', 'warn.confirmed': 'Checked', 'warn.unconfirmed': 'Not checked', 'warn.shelter': 'Shelter',
  'warn.sheltersInside': 'Shelters inside', 'warn.sheltersOutside': 'Nearest shelters outside', 'warn.grids': 'Grids touched',
  'warn.seen': 'Seen', 'warn.unseen': 'Not seen', 'warn.people': 'Persons to check on', 'warn.address': 'Address',
  'warn.extend': 'Extend', 'warn.lift': 'Lift warning', 'warn.lifted': 'Warning lifted', 'warn.extended': 'Warning extended',
  'warn.liftConfirm': 'Lift this warning?', 'warn.close': 'Close',
  'warn.callsCsv': 'Call list (CSV)', 'warn.callsXlsx': 'Call list (Excel)', 'warn.cap': 'Alert (CAP)',
  'warn.printed': 'Printed', 'warn.area': 'Warning area', 'warn.filtered': 'Filtered by risk level',
  'warn.check': 'Checked', 'warn.checkHazards': 'Hazards to check', 'warn.checkPeople': 'People to check on',
  'warn.incidents': 'Open incidents inside', 'warn.persons': 'persons',
  'case.close': 'Close', 'case.source': 'Channel', 'case.grid': 'Grid', 'case.fallback': 'district fallback queue', 'case.place': 'Community / street',
  'case.duplicateOf': 'Duplicate of', 'case.photos': 'Photos', 'case.photo': 'Photo', 'case.addPhoto': 'Add photos', 'case.photoAdded': 'Photos uploaded',
  'case.noSteps': 'No step for this account now', 'case.note': 'Note', 'case.rating': 'Satisfaction', 'case.stars': '/5',
  'case.steps': 'Handle', 'case.needNote': 'This step needs a note', 'case.needRating': 'Choose a satisfaction rating',
  'case.duplicates': 'Likely duplicates', 'case.linkDuplicate': 'Link as duplicate', 'case.history': 'History', 'case.photoUnit': 'photo(s)', 'case.open': 'Details',
  'step.report': 'Reported', 'step.accept': 'Accept', 'step.reject': 'Reject', 'step.dispatch': 'Dispatch', 'step.start': 'Start handling',
  'step.resolve': 'Resolve', 'step.verify': 'Verify', 'step.revisit': 'Revisit', 'step.close': 'Close case', 'step.escalate': 'Escalate',
  'step.link_duplicate': 'Link duplicate', 'step.photo': 'Photos added', 'step.import': 'Imported',
  // Visits (走访), the outbox and patrol recording (issue 16)
  'grid.visits': 'Visits', 'visit.title': 'Record a visit', 'visit.record': 'Visit', 'visit.overdue': 'Overdue',
  'visit.today': 'Due today', 'visit.done': 'Done this week', 'visit.overdueDays': '{n} days overdue', 'visit.dueToday': 'due today',
  'visit.risk': 'Risk', 'visit.riskSame': 'Risk level unchanged', 'visit.riskChange': 'Risk level', 'visit.how': 'How',
  'visit.how.入户': 'At home', 'visit.how.电话': 'By phone', 'visit.how.视频': 'Video call', 'visit.note': 'What you found',
  'visit.ok': 'Visit recorded',
  'outbox.title': 'Outbox', 'outbox.waiting': 'waiting', 'outbox.failed': 'failed',
  'outbox.offline': 'offline: sends itself when the connection returns', 'outbox.login': 'Your session has expired: sign in again to send',
  'outbox.retry': 'Retry', 'outbox.discard': 'Discard', 'outbox.saved': 'Saved: it is sent when the connection returns',
  'patrol.start': 'Start patrol', 'patrol.stop': 'Stop patrol', 'patrol.recording': 'Recording, {n} fixes not yet saved',
  'patrol.hint': 'Records your track (kept on the phone while offline)', 'patrol.noGps': 'No location available', 'patrol.batch': 'Patrol track',
  'report.photos': 'Photos (optional)',
  'err.idempotency_key_reused': 'Differs from what was sent first', 'err.report_failed': 'Its report failed',
  'err.report_missing': 'Its report is no longer queued', 'err.bad_how': 'Unknown way of visiting', 'err.bad_time': 'Bad time',
  'err.bad_risk': 'Risk level must be 0–5', 'err.bad_location': 'Bad location', 'err.too_long': 'Too long',
  'err.bad_schedule': 'Bad visit schedule',
  'wall.visits': 'Visits', 'wall.visitsDue': 'due', 'wall.visitsOverdue': 'overdue',
};

// Data values (Chinese in the data) and status codes.
const values = {
  zh: {
    reported: '已上报', accepted: '已受理', dispatched: '已派遣', in_progress: '处置中', resolved: '已办结',
    verified: '已核查', revisited: '已回访', closed: '已结案', rejected: '不予受理',
    district: '区', street: '街道/镇', community: '村/社区', grid: '网格',
    active: '生效中', lifted: '已解除', expired: '已过期',
  },
  en: {
    reported: 'reported', accepted: 'accepted', dispatched: 'dispatched', in_progress: 'in progress',
    resolved: 'resolved', verified: 'verified', revisited: 'revisited', closed: 'closed', rejected: 'rejected',
    district: 'district', street: 'street/town', community: 'community', grid: 'grid',
    红: 'red', 橙: 'orange', 黄: 'yellow', 蓝: 'blue',
    暴雨: 'rainstorm', 山洪: 'flash flood', 地质灾害: 'geological hazard', 台风: 'typhoon', 内涝: 'urban flooding', 洪水: 'river flood',
    网格长: 'grid head', 监测人: 'monitor', 责任人: 'responsible',
    active: 'active', lifted: 'lifted', expired: 'expired',
    滑坡: 'landslide', 崩塌: 'rockfall', 泥石流: 'debris flow', 地面塌陷: 'ground collapse',
    不稳定斜坡: 'unstable slope', 内涝积水点: 'waterlogging point', '危房/自建房': 'unsafe building',
    危化品: 'hazardous chemicals', 堤防险段: 'weak embankment',
    邻里纠纷: 'neighbour dispute', 婚姻家庭: 'marriage/family', 土地山林: 'land/forest', 物业管理: 'property management',
    劳资纠纷: 'labour dispute', 征地拆迁: 'land requisition', 环境污染: 'pollution', 治安隐患: 'public order',
    安全隐患: 'safety hazard', 民生诉求: 'livelihood request',
  },
};

const dicts = { zh, en };
const listeners = new Set();
let lang = (() => { try { return localStorage.getItem('minqing.lang') === 'en' ? 'en' : 'zh'; } catch { return 'zh'; } })();

export function getLang() { return lang; }

export function t(key, vars) {
  let s = dicts[lang][key] ?? zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ''));
  return s;
}

/**
 * The message of a failed request in the UI's language: the server's error code is translated
 * (its English `detail` is for logs and API users, never shown in the Chinese UI).
 */
export function errText(e) {
  const code = e && e.data && e.data.error;
  if (code && (dicts[lang]['err.' + code])) return t('err.' + code);
  if (e && e.status === 0) return t('err.network');
  const byStatus = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict',
    413: 'too_large', 429: 'rate_limited', 503: 'unavailable' }[e && e.status];
  return t('err.' + (byStatus || 'server'));
}

/** Translate a data value (status code, level, risk, kind); unknown values pass through. */
export function tv(v) {
  if (v == null) return '–';
  const s = String(v);
  return values[lang][s] ?? (lang === 'zh' ? s : values.en[s] ?? s);
}

export function applyI18n(root = document) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app.title');
  // MapLibre's own control titles.
  for (const [sel, key] of [['.maplibregl-ctrl-zoom-in', 'map.zoomIn'], ['.maplibregl-ctrl-zoom-out', 'map.zoomOut'], ['.maplibregl-ctrl-attrib-button', 'map.attribution']]) {
    for (const el of document.querySelectorAll(sel)) { el.title = t(key); el.setAttribute('aria-label', t(key)); }
  }
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) { el.title = t(el.dataset.i18nTitle); el.setAttribute('aria-label', el.title); }
}

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  try { localStorage.setItem('minqing.lang', lang); } catch { /* private mode */ }
  applyI18n();
  for (const f of listeners) f(lang);
}

export function toggleLang() { setLang(lang === 'zh' ? 'en' : 'zh'); }
export function onLangChange(f) { listeners.add(f); return () => listeners.delete(f); }
