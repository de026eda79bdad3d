package io.latentwatch.cli;

import ai.djl.Device;
import io.latentwatch.model.Devices;
import picocli.CommandLine.Option;

/** --device, shared by every command that runs the model. */
final class DeviceOption {

    @Option(
            names = "--device",
            defaultValue = "auto",
            description = "auto | cpu | gpu | gpu:N (default: ${DEFAULT-VALUE}; auto takes the first GPU the engine sees, else the CPU)")
    String device;

    /**
     * The device named.
     *
     * @throws IllegalArgumentException for an unknown device, or a GPU that the engine does not see
     */
    Device device() {
        return Devices.resolve(device, 0);
    }
}
