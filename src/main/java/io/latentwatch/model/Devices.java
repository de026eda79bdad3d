package io.latentwatch.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/** The device and precision options shared by every command that runs the model. */
public final class Devices {

    private Devices() {}

    /**
     * Resolves a device option.
     *
     * @param spec "auto" (first GPU if the engine sees one, else CPU), "cpu", "gpu" (GPU 0) or "gpu:N"
     * @param subtask a Flink subtask index: with "auto"/"gpu" the GPU is subtask modulo the GPU count
     * @throws IllegalArgumentException for an unknown spec, or a GPU that the engine does not see
     */
    public static Device resolve(String spec, int subtask) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(Locale.ROOT);
        int gpus = Engine.getInstance().getGpuCount();
        if ("cpu".equals(s)) {
            return Device.cpu();
        }
        if ("auto".equals(s)) {
            return gpus > 0 ? Device.gpu(Math.floorMod(subtask, gpus)) : Device.cpu();
        }
        if ("gpu".equals(s) || s.startsWith("gpu:")) {
            if (gpus == 0) {
                throw new IllegalArgumentException("device " + spec + ": the PyTorch engine sees no GPU (use auto or cpu)");
            }
            if ("gpu".equals(s)) {
                return Device.gpu(Math.floorMod(subtask, gpus));
            }
            int index;
            try {
                index = Integer.parseInt(s.substring(4));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("device " + spec + ": expected gpu:N with N a GPU index");
            }
            if (index < 0 || index >= gpus) {
                throw new IllegalArgumentException("device " + spec + ": GPU index out of range, " + gpus + " GPU(s) visible");
            }
            return Device.gpu(index);
        }
        throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N, got " + spec);
    }

    /**
     * Lets cuDNN time its convolution algorithms once per input shape and keep the fastest (PyTorch's
     * {@code torch.backends.cudnn.benchmark}). Measured on an H100: +24 % fp32 scoring at batch 1024 (142k to 176k
     * frames/s), worth a one-off delay per new batch size. A no-op on the CPU; the system property
     * {@code latentwatch.cudnn-benchmark=false} turns it off.
     */
    public static void tuneConvolutions(Device device) {
        if (tunesConvolutions(device) && "PyTorch".equals(Engine.getInstance().getEngineName())) {
            ai.djl.pytorch.jni.JniUtils.setBenchmarkCuDNN(true);
        }
    }

    /**
     * Sets how many CPU threads each PyTorch operation of the threads that start work from now on may use
     * (PyTorch's {@code torch.set_num_threads}). libtorch reads the count once per thread, when the thread runs its
     * first operation, so a thread that has already run one keeps its own. A no-op for another engine.
     *
     * @throws IllegalArgumentException for fewer than 1 thread
     */
    public static void setIntraOpThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("intra-op threads must be at least 1, got " + threads);
        }
        if ("PyTorch".equals(Engine.getInstance().getEngineName())) {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
    }

    /** Whether {@link #tuneConvolutions} turns cuDNN's autotuning on for this device (for benchmark reports). */
    public static boolean tunesConvolutions(Device device) {
        return device.isGpu() && !"false".equals(System.getProperty("latentwatch.cudnn-benchmark"));
    }

    /**
     * Resolves a precision option for a device.
     *
     * @param spec "fp32" or "fp16" ("bf16" is recognised and refused: DJL 0.36's PyTorch JNI has no bfloat16
     *     mapping, and a conversion to it aborts the whole process instead of throwing)
     * @throws IllegalArgumentException for an unknown or unsupported precision, or half precision on the CPU (the
     *     engine's CPU fp16 convolutions are far slower than fp32, so it is refused rather than silently slow)
     */
    public static DataType precision(String spec, Device device) {
        String s = spec == null ? "fp32" : spec.trim().toLowerCase(Locale.ROOT);
        DataType type;
        switch (s) {
            case "fp32":
            case "float32":
                return DataType.FLOAT32;
            case "fp16":
            case "float16":
                type = DataType.FLOAT16;
                break;
            case "bf16":
            case "bfloat16":
                throw new IllegalArgumentException(
                        "precision bf16 is not supported by DJL 0.36's PyTorch engine (no bfloat16 in its JNI); use fp16");
            default:
                throw new IllegalArgumentException("precision must be fp32 or fp16, got " + spec);
        }
        if (!device.isGpu()) {
            throw new IllegalArgumentException("precision " + s + " needs a GPU; on " + device + " use fp32");
        }
        return type;
    }
}
