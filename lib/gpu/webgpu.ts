/**
 * The WebGPU engine: tfjs's WebGPU backend on Dawn (the npm package `webgpu`, binaries inside the package, no CUDA).
 * Dawn is loaded only when WebGPU is asked for (without a Vulkan loader it prints warnings that CPU users must not
 * see). A hardware adapter is used when one exists; a software one (Mesa's llvmpipe, SwiftShader) only when
 * IMRM_WEBGPU_ADAPTER=software asks for it, since on a CPU the wasm engines are far faster: it is for tests.
 *
 * On the CPU, the software route that works is OpenGL ES through EGL without a display (EGL_PLATFORM=surfaceless);
 * Debian 12's Vulkan software driver (lavapipe) lacks a feature Dawn requires.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the run records about the adapter: it is part of the run identity, like every backend's description. */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader), never chosen unless asked for. */
  software: boolean;
  /** Dawn's route to the adapter: 'vulkan', 'metal', 'd3d12' or 'opengles'. */
  route: string;
  featureLevel: 'core' | 'compatibility';
  /** The limits a training run can hit. */
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number };
}

export type AdapterChoice = 'hardware' | 'software';

/** IMRM_WEBGPU_ADAPTER: 'hardware' (default) or 'software'; anything else is an error naming the variable. */
export function adapterChoice(value: string | undefined = process.env.IMRM_WEBGPU_ADAPTER): AdapterChoice {
  if (value === undefined || value === '' || value === 'hardware') return 'hardware';
  if (value === 'software') return 'software';
  throw new Error(`IMRM_WEBGPU_ADAPTER must be 'hardware' or 'software', got '${value}'`);
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

/** Whether an adapter is a CPU implementation, from what Dawn says of it. */
export function isSoftwareAdapter(info: {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}): boolean {
  if (info.isFallbackAdapter) return true;
  return SOFTWARE_NAMES.test([info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '));
}

/** Where Dawn's Node binding for this platform lies (beside a bundle, else in the `webgpu` package), or null. */
export function dawnBinaryPath(): string | null {
  // A bundle (npm run gpu-check:bundle) carries its platform's binary beside itself.
  const beside = path.join(__dirname, 'dawn.node');
  if (fs.existsSync(beside)) return beside;
  let dir: string;
  try {
    dir = path.dirname(require.resolve('webgpu/package.json'));
  } catch {
    return null;
  }
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const file = path.join(dir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
  return fs.existsSync(file) ? file : null;
}

/** What to install so that Dawn finds an adapter, for the one-line refusal when none exists. */
export const NO_ADAPTER_ADVICE =
  "install a Vulkan loader (Debian/Ubuntu: libvulkan1) and your GPU driver's Vulkan driver (NVIDIA: the driver's " +
  'Vulkan ICD, in containers point VK_DRIVER_FILES at nvidia_icd.json; AMD/Intel: mesa-vulkan-drivers); for tests on ' +
  'the CPU: libegl1 libegl-mesa0 libgles2 and IMRM_WEBGPU_ADAPTER=software';

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
// Minimal shapes of the WebGPU objects this file touches (the DOM's WebGPU types are not in this project's lib).
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}
export interface AdapterLike {
  info?: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  features: Set<string>;
  limits: Record<string, number>;
  requestDevice(descriptor?: Record<string, unknown>): Promise<unknown>;
}

let dawn: DawnModule | null = null;

function loadDawn(): DawnModule {
  if (dawn) return dawn;
  const file = dawnBinaryPath();
  if (!file) throw new Error(`the npm package 'webgpu' (Dawn) has no binary for ${process.platform}-${process.arch} here: npm install webgpu`);
  // Without a display, Mesa's EGL must be told to need none; a real GPU's Vulkan route ignores this.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  dawn = require(file) as DawnModule;
  // tfjs's WebGPU backend looks for these (GPUBufferUsage, GPUShaderStage, ...) and for navigator.gpu at load.
  Object.assign(globalThis, dawn.globals);
  return dawn;
}

/** The routes to try for each choice, in order: a GPU through the platform's native API, else Mesa's GL ES on the CPU. */
function routes(choice: AdapterChoice): Array<{ route: string; flags: string[]; featureLevel: 'core' | 'compatibility' }> {
  const native = process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan';
  if (choice === 'hardware') return [{ route: native, flags: [`backend=${native}`], featureLevel: 'core' }];
  return [
    { route: 'opengles', flags: ['backend=opengles'], featureLevel: 'compatibility' },
    { route: native, flags: [`backend=${native}`], featureLevel: 'core' },
  ];
}

export interface FoundAdapter {
  gpu: GpuLike;
  adapter: AdapterLike;
  info: WebGpuAdapterInfo;
}

/**
 * The adapter of the given kind, or an Error saying why none is there (what was tried and what to install).
 * A software adapter found while looking for hardware is refused, not used.
 */
export async function findAdapter(choice: AdapterChoice = adapterChoice()): Promise<FoundAdapter | Error> {
  let module: DawnModule;
  try {
    module = loadDawn();
  } catch (e) {
    return e as Error;
  }
  const tried: string[] = [];
  for (const { route, flags, featureLevel } of routes(choice)) {
    const gpu = module.create(flags);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel });
    if (!adapter) {
      tried.push(`${route}: no adapter`);
      continue;
    }
    const raw = adapter.info ?? { vendor: '', architecture: '', device: '', description: '' };
    const software = isSoftwareAdapter(raw);
    if (software !== (choice === 'software')) {
      tried.push(`${route}: only ${software ? 'a software' : 'a hardware'} adapter (${raw.description || raw.vendor})`);
      continue;
    }
    const l = adapter.limits;
    const info: WebGpuAdapterInfo = {
      vendor: raw.vendor,
      architecture: raw.architecture,
      device: raw.device,
      description: raw.description,
      software,
      route,
      featureLevel,
      limits: {
        maxBufferSize: l.maxBufferSize,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    };
    return { gpu, adapter, info };
  }
  return new Error(`no ${choice} WebGPU adapter (${tried.join('; ')}): ${NO_ADAPTER_ADVICE}`);
}

/** Makes `navigator.gpu` the found Dawn instance (tfjs's backend checks for it), on Node with or without `navigator`. */
function exposeGpu(gpu: GpuLike): void {
  const g = globalThis as { navigator?: Record<string, unknown> };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
}

/**
 * Registers tfjs's WebGPU backend on the found adapter (instead of the package's own factory, which asks the default
 * route for any adapter). The device asks for the adapter's full limits, as tfjs's factory does.
 */
export function registerWebGpuBackend(tf: typeof import('@tensorflow/tfjs'), found: FoundAdapter): void {
  exposeGpu(found.gpu);
  const { WebGPUBackend } = require('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu');
  refuseSynchronousReads(WebGPUBackend.prototype as unknown as { readSync(dataId: object): unknown });
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  const { adapter, info } = found;
  tf.registerBackend(
    'webgpu',
    async () => {
      const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
      return new WebGPUBackend(
        device as ConstructorParameters<typeof WebGPUBackend>[0],
        { vendor: info.vendor, architecture: info.architecture } as ConstructorParameters<typeof WebGPUBackend>[1],
      );
    },
    0,
  );
}

/**
 * tfjs reads a GPU tensor synchronously through an OffscreenCanvas, which Node has not: it fails with "OffscreenCanvas
 * is not defined". Say instead what failed and what to do (values already on the CPU are still returned).
 */
function refuseSynchronousReads(proto: { readSync(dataId: object): unknown }): void {
  const original = proto.readSync as ((dataId: object) => unknown) & { imrmWrapped?: boolean };
  if (original.imrmWrapped) return;
  const wrapped = function (this: unknown, dataId: object) {
    try {
      return original.call(this, dataId);
    } catch (e) {
      if (!/OffscreenCanvas/.test(String((e as Error).message))) throw e;
      throw new Error(
        'a synchronous read (dataSync, arraySync) of a GPU tensor: WebGPU in Node reads only asynchronously (await data(), ' +
          'await array()). This code path has not been made asynchronous; run it on a CPU engine (IMRM_BACKEND unset).',
      );
    }
  } as typeof original;
  wrapped.imrmWrapped = true;
  proto.readSync = wrapped;
}
