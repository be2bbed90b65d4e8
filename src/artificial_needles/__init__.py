"""artificial-needles: synthetic key-value retrieval data for long-context finetuning.

Implements the data, evaluation and finetuning tools of *From Artificial Needles to Real
Haystacks* (Xiong et al., 2024). The core never imports lm-eval or Axolotl; the two
integrations live in ``artificial_needles.lm_eval_tasks`` and ``artificial_needles.axolotl``.
"""

from artificial_needles.errors import NeedlesError

__version__ = "0.1.0"
__all__ = ["NeedlesError", "__version__"]
