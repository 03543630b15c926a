// `make manifests`: writes deploy/manifests/logistis.yaml from the chart.
import { writeFileSync } from 'node:fs';
import { MANIFESTS_FILE, renderManifests } from './chart.ts';

writeFileSync(MANIFESTS_FILE, renderManifests());
console.log(`wrote ${MANIFESTS_FILE}`);
