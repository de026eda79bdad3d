package io.latentwatch.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.model.Devices;
import picocli.CommandLine.Option;

/**
 * --precision, shared by the commands that score at one precision (the benchmarks that compare several take
 * --precisions instead).
 */
final class PrecisionOption {

    @Option(
            names = "--precision",
            defaultValue = "fp32",
            description = "fp32 | fp16 (default: ${DEFAULT-VALUE}; fp16 needs a GPU; bf16 is not in DJL 0.36's PyTorch engine)")
    String precision;

    /**
     * The precision named, for a device.
     *
     * @throws IllegalArgumentException for an unknown precision, or half precision on the CPU
     */
    DataType precision(Device device) {
        return Devices.precision(precision, device);
    }
}
