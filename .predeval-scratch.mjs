import { loadModel } from './dist/src/model/io.js';
const { model } = await loadModel('/tmp/predeval-model');
for (const l of model.layers) console.log(l.name, l.getClassName(), JSON.stringify(l.getConfig().poolSize), JSON.stringify(l.getConfig().strides), l.getConfig().padding);
