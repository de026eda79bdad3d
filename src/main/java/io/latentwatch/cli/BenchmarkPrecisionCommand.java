package io.latentwatch.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.evaluation.PrecisionCheck;
import io.latentwatch.model.Devices;
import io.latentwatch.model.MemoryLayout;
import io.latentwatch.model.ModelDirectory;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** latentwatch benchmark precision */
@Command(
        name = "precision",
        mixinStandardHelpOptions = true,
        description = {
            "The accuracy cost of half precision: relative error of per-frame mse and of mu against fp32 on the same device,",
            "and against reference outputs (e.g. PyTorch's) when --expected is given."
        })
final class BenchmarkPrecisionCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "model directory")
    Path model;

    @Option(names = "--frames", required = true, description = "safetensors file with 'x': normalised frames (batch, C, H, W)")
    Path frames;

    @Option(names = "--expected", description = "safetensors file with reference 'eval_mse' (batch) and 'eval_mu' (batch, latent)")
    Path expected;

    @Mixin DeviceOption deviceOption;

    @Option(names = "--precisions", split = ",", defaultValue = "fp32", description = "fp32,fp16 (default: ${DEFAULT-VALUE})")
    String[] precisions;

    @Option(names = "--layout", defaultValue = "nhwc", description = "nhwc | nchw (default: ${DEFAULT-VALUE})")
    String layout;

    @Override
    public Integer call() throws Exception {
        Device dev = deviceOption.device();
        DataType[] types = new DataType[precisions.length];
        for (int i = 0; i < types.length; i++) {
            types[i] = Devices.precision(precisions[i], dev);
        }
        PrintWriter out = LatentwatchCommand.out(spec);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.Loaded loaded = ModelDirectory.read(model, manager);
            NDArray x = NDList.decode(manager, Files.readAllBytes(frames)).get("x");
            if (x == null) {
                throw new IllegalArgumentException(frames + " has no tensor 'x'");
            }
            int count = (int) x.getShape().get(0);
            float[][] reference = null;
            if (expected != null) {
                NDList e = NDList.decode(manager, Files.readAllBytes(expected));
                reference = new float[][] {e.get("eval_mse").toFloatArray(), e.get("eval_mu").toFloatArray()};
            }
            Map<String, Map<String, Object>> rows =
                    PrecisionCheck.run(loaded.model, dev, types, MemoryLayout.parse(layout), x.toFloatArray(), count, reference);
            for (Map<String, Object> row : rows.values()) {
                BenchmarkModelCommand.print(out, null, null, row);
            }
        }
        return 0;
    }
}
