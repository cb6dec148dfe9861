import { decodeTracesProto } from './collector/signals/traces';
import { encodeTraces, sampleTraces } from './tests/helpers/otlp-encode';
const bodies = Array.from({ length: 16 }, () => encodeTraces(sampleTraces(512)));
for (let round = 0; round < 4; round++) {
  const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 2000) { for (const b of bodies) { const s = decodeTracesProto(b); n += s.count; s.body(); } }
  console.log(Math.round(n / ((performance.now() - t0) / 1000)), 'spans/s decode+encode');
}
