package io.latentwatch.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.model.Devices;
import picocli.CommandLine.Option;

/** --device and --precision, shared by every command that runs the model. */
final class DeviceOptions {

    @Option(
            names = "--device",
            defaultValue = "auto",
            description = "auto | cpu | gpu | gpu:N (default: ${DEFAULT-VALUE}; auto takes the first GPU the engine sees, else the CPU)")
    String device;

    @Option(
            names = "--precision",
            defaultValue = "fp32",
            description = "fp32 | fp16 (default: ${DEFAULT-VALUE}; fp16 needs a GPU; bf16 is not in DJL 0.36's PyTorch engine)")
    String precision;

    Device device() {
        return Devices.resolve(device, 0);
    }

    DataType precision(Device d) {
        return Devices.precision(precision, d);
    }
}
