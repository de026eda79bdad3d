package io.latentwatch.cli;

import io.latentwatch.model.ModelMetadata;
import io.latentwatch.model.PyTorchImport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** latentwatch import-pytorch --weights W.safetensors --config C.json --out DIR */
@Command(
        name = "import-pytorch",
        mixinStandardHelpOptions = true,
        description = "Turns a PyTorch-VAE DIPVAE state_dict (safetensors) and its config.json into a model directory.")
final class ImportPytorchCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--weights", required = true, description = "state_dict of PyTorch-VAE's DIPVAE as safetensors")
    Path weights;

    @Option(
            names = "--config",
            required = true,
            description = "JSON: in_channels, image_size, latent_dim, hidden_dims [, kld_weight, lambda_diag, lambda_offdiag, dip_type, ...]")
    Path config;

    @Option(names = "--out", required = true, description = "model directory to write")
    Path out;

    @Override
    public Integer call() throws Exception {
        ModelMetadata meta = PyTorchImport.importModel(weights, config, out);
        LatentwatchCommand.out(spec).printf("wrote model %s (version %d, sha256 %s)%n", out, meta.version(), meta.sha256());
        return 0;
    }
}
