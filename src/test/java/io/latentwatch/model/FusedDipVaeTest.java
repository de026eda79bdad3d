package io.latentwatch.model;

import static io.latentwatch.Fixtures.FORWARD_TOLERANCE;
import static io.latentwatch.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The scoring snapshot (BatchNorm folded, layers composed, either layout) still computes PyTorch's eval outputs. */
class FusedDipVaeTest {

    @ParameterizedTest
    @CsvSource({"rgb64-default, NHWC", "rgb64-default, NCHW", "gray32-small, NHWC", "gray32-small, NCHW"})
    void matchesPyTorchEvalOutputs(String fixture, MemoryLayout layout) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            DipVae model = DipVaeFixtureTest.loadFixtureModel(manager, fixture);
            NDList frames = Fixtures.load(manager, fixture, "frames.safetensors");
            NDList expected = Fixtures.load(manager, fixture, "expected.safetensors");
            try (FusedDipVae fused = FusedDipVae.of(model, manager, DataType.FLOAT32, layout)) {
                NDList latents = fused.splitLatents(fused.encode(frames.get("x")));
                assertClose(latents.get(0), expected.get("eval_mu"), FORWARD_TOLERANCE, "mu");
                assertClose(latents.get(1), expected.get("eval_log_var"), FORWARD_TOLERANCE, "log_var");
                NDArray recon = fused.decode(latents.get(0));
                assertClose(recon, expected.get("eval_recon"), FORWARD_TOLERANCE, "recon");
                assertTrue(fused.flopsPerFrame() <= model.getConfig().flopsPerFrame() * 2, "executed FLOPs stay within 2x of ideal");

                NDArray scores = fused.score(layout.arrange(frames.get("x"))); // per frame: mse, kl, mu, log_var
                int latent = model.getConfig().latentDim();
                assertClose(scores.get(":, 0"), expected.get("eval_mse"), FORWARD_TOLERANCE, "scored mse");
                assertClose(scores.get(":, 2:" + (2 + latent)), expected.get("eval_mu"), FORWARD_TOLERANCE, "scored mu");
                NDArray mu = expected.get("eval_mu");
                NDArray logVar = expected.get("eval_log_var");
                NDArray kl = logVar.add(1).sub(mu.square()).sub(logVar.exp()).sum(new int[] {1}).mul(-0.5f);
                assertClose(scores.get(":, 1"), kl, FORWARD_TOLERANCE, "scored kl");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"fp16, needs a GPU", "float16, needs a GPU", "bf16, not supported by DJL 0.36", "int8, must be fp32 or fp16"})
    void unsupportedPrecisionsAreRefusedClearly(String precision, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.precision(precision, ai.djl.Device.cpu()));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(Devices.precision("fp32", ai.djl.Device.cpu()) == DataType.FLOAT32);
    }

    @org.junit.jupiter.api.Test
    void devicesResolveOnTheCpuAndRefuseWhatIsNotThere() {
        assertTrue(Devices.resolve("cpu", 3).equals(ai.djl.Device.cpu()));
        // this machine's engine sees no GPU: auto falls back to the CPU, gpu is refused with the reason
        org.junit.jupiter.api.Assumptions.assumeTrue(ai.djl.engine.Engine.getInstance().getGpuCount() == 0, "a GPU is visible");
        assertTrue(Devices.resolve("auto", 5).equals(ai.djl.Device.cpu()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.resolve("gpu:1", 0));
        assertTrue(e.getMessage().contains("sees no GPU"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Devices.resolve("tpu", 0));
        assertTrue(e.getMessage().contains("must be auto, cpu, gpu or gpu:N"), e.getMessage());
    }
}
